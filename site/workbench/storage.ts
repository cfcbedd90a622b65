// What the browser keeps for the reader, per lesson: edited files per step, the current
// step, and which steps' checks passed. localStorage can be full or disabled (private
// windows): every access degrades to "not kept" rather than breaking the page.
import type { FileMap } from '../../sandboxes/schema.ts';

const PREFIX = 'hotpot:v1:';
/** The localStorage key behind one of the entries below (the lesson page's head script reads two). */
export const storageKey = (key: string) => PREFIX + key;

function read<T>(key: string): T | undefined {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  } catch {
    return undefined;
  }
}
function write(key: string, value: unknown): void {
  try {
    if (value === undefined) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the edit stays in memory for this visit */
  }
}

export type Progress = Record<string, Record<string, string>>;

export const storage = {
  /** Only files that differ from the step's starting files are kept. */
  edits: (lesson: string, step: string) => read<FileMap>(`edits:${lesson}:${step}`) ?? {},
  saveEdits(lesson: string, step: string, edits: FileMap) {
    write(`edits:${lesson}:${step}`, Object.keys(edits).length ? edits : undefined);
  },
  step: (lesson: string) => read<string>(`step:${lesson}`),
  saveStep: (lesson: string, step: string) => write(`step:${lesson}`, step),
  progress: () => read<Progress>('progress') ?? {},
  /** How the reader left the panes: split sizes by name, focus mode. */
  sizes: (name: string) => read<number[]>(`sizes:${name}`),
  saveSizes: (name: string, sizes: number[]) => write(`sizes:${name}`, sizes.map((n) => Math.round(n * 10) / 10)),
  focus: () => read<boolean>('focus') === true,
  saveFocus: (on: boolean) => write('focus', on || undefined),
  markPassed(lesson: string, step: string) {
    const all = storage.progress();
    all[lesson] = { ...all[lesson], [step]: new Date().toISOString() };
    write('progress', all);
  },
};

// A step's starting files and solution, as the site serves them: one static JSON file per step
// (written at build time by site/integration/step-files.ts), fetched by the workbench when the
// step is opened, so the lesson page itself carries no file contents.
import * as z from 'zod/mini';
import type { FileMap } from '../../sandboxes/schema.ts';

// zod's tree-shakable build: this runs in the script every lesson page hydrates.
const indexes = z.record(z.string(), z.number().check(z.int(), z.nonnegative()));
/** Each distinct file's contents once; the step's files and solution as indexes into them. */
export const PackedStepFiles = z.object({ contents: z.array(z.string()), files: indexes, solution: indexes });
export type PackedStepFiles = z.infer<typeof PackedStepFiles>;
export interface StepFiles {
  files: FileMap;
  solution: FileMap;
}

export function packStepFiles(files: FileMap, solution: FileMap): PackedStepFiles {
  const contents: string[] = [];
  const index = new Map<string, number>();
  const ref = (map: FileMap) =>
    Object.fromEntries(
      Object.entries(map).map(([path, text]) => {
        let i = index.get(text);
        if (i === undefined) index.set(text, (i = contents.push(text) - 1));
        return [path, i];
      }),
    );
  return { contents, files: ref(files), solution: ref(solution) };
}

/** The fetched JSON, checked: anything else (a proxy's error page, say) is refused, saying where. */
export function unpackStepFiles(json: unknown): StepFiles {
  const parsed = PackedStepFiles.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'not an object';
    throw new Error(`the step's files are malformed (${where})`);
  }
  const { contents, files, solution } = parsed.data;
  const unref = (refs: Record<string, number>, what: string): FileMap =>
    Object.fromEntries(
      Object.entries(refs).map(([path, i]) => {
        if (contents[i] === undefined) throw new Error(`the step's files are malformed (${what}.${path}: no content ${i})`);
        return [path, contents[i]];
      }),
    );
  return { files: unref(files, 'files'), solution: unref(solution, 'solution') };
}

/** Fetches a step's files; rejects with a message a reader can act on. */
export async function fetchStepFiles(url: string): Promise<StepFiles> {
  let res: Response;
  try {
    // Same mode and credentials as the page's <link rel="preload" as="fetch" crossorigin>, so
    // the first step's request, started by the page's head, is the one used here.
    res = await fetch(url);
  } catch {
    throw new Error('the network request failed (offline, or the server is down?)');
  }
  // A 404 is most likely a page older than the site it came from: the names change with the files.
  if (res.status === 404) throw new Error('the server does not have them (the course was updated since this page loaded: reload it)');
  if (!res.ok) throw new Error(`the server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new Error('the step\u2019s files are not valid JSON');
  }
  return unpackStepFiles(json);
}

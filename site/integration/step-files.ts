// Each step's starting files and solution as a static JSON file of its own, named by a hash of
// its contents: the lesson page carries only the step's file names and that address, and the
// workbench fetches a step's files when the step is opened. The name changes whenever the
// contents do, so servers may cache it for good (the runner's static server does).
// Build time only: the lesson page and the endpoint that writes the files both call this.
import { createHash } from 'node:crypto';
import { loadSandbox, type LoadedSandbox } from '../../sandboxes/load.ts';
import { packStepFiles } from '../workbench/step-files.ts';

export const STEP_FILES_URL = '/steps';

export interface StepFilesEntry {
  sandbox: string;
  step: string;
  /** The file's name under STEP_FILES_URL/<sandbox>/, less `.json`: `<step>.<hash>`. */
  name: string;
  url: string;
  body: string;
}

const cache = new Map<string, Promise<StepFilesEntry[]>>();

export function stepFiles(sandbox: string, root: string): Promise<StepFilesEntry[]> {
  const key = `${root}\0${sandbox}`;
  let entries = cache.get(key);
  if (!entries) cache.set(key, (entries = loadSandbox(sandbox, root).then((s) => entriesOf(sandbox, s))));
  return entries;
}

function entriesOf(id: string, sandbox: LoadedSandbox): StepFilesEntry[] {
  return sandbox.steps.map((s) => {
    const packed = packStepFiles(s.files, s.solution);
    const body = JSON.stringify(packed);
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
    const name = `${s.id}.${hash}`;
    return { sandbox: id, step: s.id, name, url: `${STEP_FILES_URL}/${id}/${name}.json`, body };
  });
}

// A step's starting files and solution, as the site serves them: one static JSON file per step
// (written at build time by site/integration/step-files.ts), fetched by the workbench when the
// step is opened, so the lesson page itself carries no file contents.
import type { FileMap } from '../../sandboxes/schema.ts';

/** Each distinct file's contents once; the step's files and solution as indexes into them. */
export interface PackedStepFiles {
  contents: string[];
  files: Record<string, number>;
  solution: Record<string, number>;
}
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

/**
 * Checks the fetched JSON's shape by hand (a zod schema would add its weight to the script
 * every lesson page hydrates): anything else, a proxy's error page say, is refused by name.
 */
export function unpackStepFiles(json: unknown): StepFiles {
  const bad = (why: string) => new Error(`the step's files are malformed (${why})`);
  if (!json || typeof json !== 'object') throw bad('not an object');
  const { contents, files, solution } = json as Partial<PackedStepFiles>;
  if (!Array.isArray(contents) || !contents.every((c) => typeof c === 'string')) throw bad('contents');
  const unref = (refs: unknown, what: string): FileMap => {
    if (!refs || typeof refs !== 'object' || Array.isArray(refs)) throw bad(what);
    const out: FileMap = {};
    for (const [path, i] of Object.entries(refs)) {
      if (typeof i !== 'number' || contents[i] === undefined) throw bad(`${what}: ${path}`);
      out[path] = contents[i];
    }
    return out;
  };
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

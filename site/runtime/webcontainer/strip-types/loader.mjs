// Module hook: `.ts` and `.mts` files are read, their types stripped with amaro (the stripper
// Node.js itself uses, in the same strip-only mode: no transforms, positions kept), and run as
// ES modules, as Node 22 runs the sandbox's files.
import { readFile } from 'node:fs/promises';
import amaro from 'amaro';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && /\.m?ts$/.test(new URL(url).pathname)) {
    const source = await readFile(new URL(url), 'utf8');
    const { code } = amaro.transformSync(source, { mode: 'strip-only', filename: new URL(url).pathname });
    return { format: 'module', source: `${code}\n//# sourceURL=${url}`, shortCircuit: true };
  }
  return nextLoad(url, context);
}

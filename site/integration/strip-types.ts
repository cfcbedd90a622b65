// The type-stripping loader a WebContainer downloads only when its Node.js cannot strip
// TypeScript itself: the loader, its registration, and amaro (its JavaScript and WebAssembly),
// in a folder of its own that becomes `generated/strip-types.bin`.
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export async function prepareStripTypes(root: string, outDir: string): Promise<string> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const source = join(root, 'site', 'runtime', 'webcontainer', 'strip-types');
  for (const file of ['register.mjs', 'loader.mjs']) await cp(join(source, file), join(outDir, file));
  // amaro exports no package.json: its main file sits in dist/.
  const amaro = dirname(dirname(createRequire(join(root, 'package.json')).resolve('amaro')));
  const pkg = JSON.parse(await readFile(join(amaro, 'package.json'), 'utf8')) as { name: string };
  const to = join(outDir, 'node_modules', pkg.name);
  // dist/ holds the loader code and the WebAssembly it runs; tests and sources stay behind.
  for (const part of ['package.json', 'LICENSE.md', 'dist']) await cp(join(amaro, part), join(to, part), { recursive: true });
  return outDir;
}

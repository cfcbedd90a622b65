// The node_modules every sandbox runs with, in both runtimes: only the files that the
// sandboxes' packages actually load (traced with @vercel/nft), without native addons.
// The same folder is symlinked into local runs and packed into the WebContainer snapshot,
// so a sandbox that works locally cannot lean on a file the browser will not have.
import { nodeFileTrace } from '@vercel/nft';
import { cp, mkdir, rm, writeFile, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Packages sandbox code may import. */
export const SANDBOX_PACKAGES = ['bullmq', 'ioredis', 'ws'] as const;

// Native addons and their loaders: a WebContainer cannot load them and msgpackr falls back to JS.
const NATIVE = /node_modules\/(msgpackr-extract|@msgpackr-extract\/[^/]+|node-gyp-build-optional-packages|detect-libc)\//;

export interface PreparedModules {
  dir: string;
  files: number;
  bytes: number;
}

export async function prepareSandboxModules(root: string, outDir: string): Promise<PreparedModules> {
  const stamp = join(outDir, '.hotpot-stamp.json');
  const lock = await readFile(join(root, 'package-lock.json'), 'utf8').catch(() => '');
  const key = JSON.stringify({ packages: SANDBOX_PACKAGES, lockLength: lock.length, lockHash: hash(lock) });
  const previous = await readFile(stamp, 'utf8').catch(() => '');
  if (previous) {
    const parsed = JSON.parse(previous) as { key: string; files: number; bytes: number };
    if (parsed.key === key) return { dir: join(outDir, 'node_modules'), files: parsed.files, bytes: parsed.bytes };
  }
  const entry = join(root, '.hotpot-trace-entry.mjs');
  await writeFile(entry, SANDBOX_PACKAGES.map((p) => `import '${p}';`).join('\n'));
  let fileList: Set<string>;
  try {
    ({ fileList } = await nodeFileTrace([entry], { base: root }));
  } finally {
    await rm(entry, { force: true });
  }
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  let files = 0;
  let bytes = 0;
  for (const rel of [...fileList].sort()) {
    if (!rel.startsWith('node_modules/') || NATIVE.test(rel) || rel.endsWith('.node')) continue;
    const from = join(root, rel);
    const info = await stat(from);
    if (!info.isFile()) continue;
    const to = join(outDir, rel);
    await mkdir(dirname(to), { recursive: true });
    await cp(from, to, { dereference: true });
    files++;
    bytes += info.size;
  }
  if (files === 0) throw new Error(`tracing ${SANDBOX_PACKAGES.join(', ')} found no files under ${root}/node_modules: run npm install`);
  await writeFile(stamp, JSON.stringify({ key, files, bytes }));
  return { dir: join(outDir, 'node_modules'), files, bytes };
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

// Type declarations for the editor: what sandbox code imports (bullmq, ioredis, ws, node),
// bundled into one JSON file that Monaco's TypeScript worker loads as extra libraries.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

const TYPE_PACKAGES = ['bullmq', 'ioredis', '@ioredis/commands', 'ws', '@types/ws', '@types/node', 'cron-parser', 'msgpackr', 'node-abort-controller', 'undici-types', '@types/autocannon', 'piscina'];

export async function bundleSandboxTypes(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const pkg of TYPE_PACKAGES) {
    const dir = join(root, 'node_modules', pkg);
    const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null);
    if (!manifest) continue;
    const { name, version, types, typings, main } = JSON.parse(manifest) as Record<string, string>;
    // Monaco's TypeScript resolves packages the classic Node way: keep only what it reads.
    out[`file:///node_modules/${pkg}/package.json`] = JSON.stringify({ name, version, types: types ?? typings, main });
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !/\.d\.(ts|mts)$/.test(e.name) || e.parentPath.includes('node_modules/' + pkg + '/node_modules')) continue;
      if (pkg === 'bullmq' && e.parentPath.includes('/dist/cjs')) continue; // the esm copy is the one "types" names
      const path = join(e.parentPath, e.name);
      out[`file:///node_modules/${pkg}/${relative(dir, path)}`] = await readFile(path, 'utf8');
    }
  }
  return out;
}

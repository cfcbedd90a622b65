// Builds the site before serving when the build is missing or older than its sources.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const BUILD_STAMP = '.build-stamp';
/** What the site is built from; a change to any of these makes the next start rebuild. */
export const BUILD_SOURCES = ['site', 'lessons', 'sandboxes', 'broker', 'engine', 'workshop', 'astro.config.mjs'];

/**
 * What the build prepares outside dist/ and sandboxes cannot run without: the embedded broker,
 * bundled into the sandbox modules (`.hotpot/`, which may be deleted on its own).
 */
export const BUILD_PREPARED = ['.hotpot/sandbox-modules/node_modules/hotpot-broker/cli.js'];

/** Written by the build itself (the integration's generated files): never a reason to rebuild. */
export const BUILD_OUTPUTS = ['site/public/generated'];

async function newestMtime(path: string, skip: Set<string>): Promise<number> {
  if (skip.has(path)) return 0;
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === '.git' || e.name === '.astro') continue;
    newest = Math.max(newest, await newestMtime(join(path, e.name), skip));
  }
  return newest;
}

/** Why a build is needed ("no dist/index.html", "site/ changed since the last build"), or null. */
export async function buildNeeded(root: string, dist: string): Promise<string | null> {
  if (!existsSync(join(dist, 'index.html'))) return `${join(dist, 'index.html')} is missing`;
  // `npm run build` is astro build alone and writes no stamp: then the build's own index.html
  // dates it (a build this runner starts removes both first, so a failed one is never taken
  // for a finished one).
  const stamp = (await stat(join(dist, BUILD_STAMP)).catch(() => null)) ?? (await stat(join(dist, 'index.html')).catch(() => null));
  if (!stamp) return `${join(dist, 'index.html')} is missing`;
  for (const file of BUILD_PREPARED) if (!existsSync(join(root, file))) return `${file} is missing`;
  const skip = new Set(BUILD_OUTPUTS.map((p) => join(root, p)));
  for (const source of BUILD_SOURCES) {
    if ((await newestMtime(join(root, source), skip)) > stamp.mtimeMs) return `${source} changed since the last build`;
  }
  return null;
}

/** Runs `astro build` with this Node (stdio inherited), then writes the stamp. Rejects when the build fails. */
export async function build(root: string, dist: string): Promise<void> {
  const astro = join(root, 'node_modules', '.bin', 'astro');
  await rm(join(dist, BUILD_STAMP), { force: true });
  await rm(join(dist, 'index.html'), { force: true });
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [astro, 'build'], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (c, signal) => resolve(signal ? null : c));
  });
  if (code !== 0) throw new Error(`the site build (astro build) failed${code === null ? '' : ` with exit code ${code}`}`);
  await writeFile(join(dist, BUILD_STAMP), `${new Date().toISOString()}\n`);
}

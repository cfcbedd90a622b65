// The Astro integration: everything the site needs from sandboxes/ at build time.
// - validates every sandbox manifest (a broken one fails the build, file and field named);
// - prepares the sandbox node_modules (local runs), with the embedded broker bundled to
//   JavaScript, and its WebContainer snapshot (and the type-stripping loader's, for Node 20);
// - bundles the type declarations the editor offers IntelliSense from;
// - after the build, moves Astro's inline island scripts into one file every page shares.
import type { AstroIntegration } from 'astro';
import { snapshot } from '@webcontainer/snapshot';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSandboxes, loadSandbox } from '../../sandboxes/load.ts';
import { BROKER_PACKAGE, prepareSandboxModules } from './sandbox-modules.ts';
import { externalizeIslandScripts } from './island-scripts.ts';
import { bundleSandboxTypes } from './sandbox-types.ts';
import { prepareStripTypes } from './strip-types.ts';

export const GENERATED_URL = '/generated';

/** Validates every sandbox; throws one error naming each broken manifest and field. */
export async function validateSandboxes(root: string): Promise<string[]> {
  const dir = join(root, 'sandboxes');
  const ids = await listSandboxes(dir);
  const problems: string[] = [];
  for (const id of ids) await loadSandbox(id, dir).catch((e: Error) => problems.push(e.message));
  if (problems.length) throw new Error(`Broken sandbox manifest:\n${problems.join('\n')}`);
  return ids;
}

export default function hotpot(): AstroIntegration {
  return {
    name: 'hotpot',
    hooks: {
      'astro:config:setup': async ({ config, logger }) => {
        const root = fileURLToPath(config.root);
        const ids = await validateSandboxes(root);
        logger.info(`sandboxes valid: ${ids.join(', ')}`);
        const modules = await prepareSandboxModules(root, join(root, '.hotpot', 'sandbox-modules'));
        const out = join(fileURLToPath(config.publicDir), 'generated');
        await mkdir(out, { recursive: true });
        await writeFile(join(out, 'sandbox-modules.bin'), await snapshot(join(root, '.hotpot', 'sandbox-modules')));
        // Fetched only by a WebContainer whose Node.js cannot strip types itself (Node 20).
        await writeFile(join(out, 'strip-types.bin'), await snapshot(await prepareStripTypes(root, join(root, '.hotpot', 'strip-types'))));
        await writeFile(join(out, 'sandbox-types.json'), JSON.stringify(await bundleSandboxTypes(root)));
        // Check scripts, fetched by the WebContainer runtime (the local runner reads sandboxes/ itself).
        await rm(join(out, 'checks'), { recursive: true, force: true });
        for (const id of ids) {
          const { dir, manifest } = await loadSandbox(id, join(root, 'sandboxes'));
          for (const file of new Set(manifest.steps.flatMap((s) => s.check.files))) {
            const to = join(out, 'checks', id, file);
            await mkdir(dirname(to), { recursive: true });
            await cp(join(dir, file), to);
          }
        }
        logger.info(
          `sandbox modules: ${modules.files} files, ${(modules.bytes / 1024).toFixed(0)} KiB ` +
            `(the broker, ${BROKER_PACKAGE} and wasmoon: ${modules.broker.files} files, ${(modules.broker.bytes / 1024).toFixed(0)} KiB)`,
        );
      },
      'astro:build:done': async ({ dir, logger }) => {
        const moved = await externalizeIslandScripts(fileURLToPath(dir));
        if (moved.url) logger.info(`island scripts: ${moved.url}, shared by ${moved.pages} pages (${(moved.bytesPerPage / 1024).toFixed(1)} KiB out of each)`);
      },
    },
  };
}

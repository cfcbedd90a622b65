// The code readers start from and the reference solutions compile under TypeScript's strict
// checks, against the same packages the sandbox runs with: what the reader sees in the editor
// has no red squiggles that are ours. Node runs the files by stripping types, so the check
// also insists on erasable syntax only (no enums, no parameter properties).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeInside } from '../../runner/paths.ts';
import { listSandboxes, loadSandbox } from '../../sandboxes/load.ts';
import type { FileMap } from '../../sandboxes/schema.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    module: 'nodenext',
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
    types: ['node'],
    skipLibCheck: true,
  },
  include: ['**/*.ts'],
  exclude: ['node_modules'],
};

/** tsc's diagnostics for a set of sandbox files (checks included), or '' when they compile. */
async function typeErrors(files: FileMap, checks: string[], sandboxDir: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hotpot-tsc-'));
  try {
    for (const [path, text] of Object.entries(files)) await writeInside(dir, path, text);
    for (const check of checks) await writeInside(dir, check, readFileSync(join(sandboxDir, check)));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    const result = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
    return result.status === 0 ? '' : `${result.stdout}${result.stderr}`.trim() || `tsc exited with ${result.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const id of await listSandboxes()) {
  const sandbox = await loadSandbox(id);
  describe(`sandbox ${id}`, () => {
    for (const step of sandbox.steps) {
      const checks = sandbox.manifest.steps.find((s) => s.id === step.id)!.check.files;
      test(`step ${step.id}: the starting files compile`, async () => {
        assert.equal(await typeErrors(step.files, checks, sandbox.dir), '');
      });
      test(`step ${step.id}: the solution and its check compile`, async () => {
        assert.equal(await typeErrors(step.solution, checks, sandbox.dir), '');
      });
    }
  });
}

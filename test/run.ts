// `npm test`: unit tests, then the site build, then the browser tests against the server
// that `npm start` runs. Each group runs in its own `node --test`. Browser test files run two at
// a time (each with its own course server, all sharing one Chromium): with five live lessons
// one at a time took 20 minutes, and every Check judges relative behaviour, never wall time,
// so a busy machine makes them slower, not wrong.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, globSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { BROWSER_OPTIONS, SHARED_BROWSER_ENV } from './browser.ts';

function run(command: string, args: string[], options: { stdio: 'inherit'; env: NodeJS.ProcessEnv }): Promise<{ status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, options);
    child.on('error', (err) => (console.error(err.message), resolve({ status: 1 })));
    child.on('exit', (status) => resolve({ status }));
  });
}

async function launchSharedBrowser() {
  try {
    return await chromium.launchServer(BROWSER_OPTIONS);
  } catch (err) {
    console.error(`Chromium did not start (${(err as Error).message.split('\n')[0]}); each test file will try its own.`);
    return null;
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string', multiple: true }, 'no-build': { type: 'boolean', default: false } },
});

const groups = [
  { name: 'unit', pattern: 'test/unit/**/*.test.ts', concurrency: 2 },
  { name: 'broker', pattern: 'test/broker/**/*.test.ts', concurrency: 1 },
  { name: 'e2e', pattern: 'test/e2e/**/*.test.ts', concurrency: 2, build: true },
].filter((g) => !values.only || values.only.includes(g.name));
const unknown = (values.only ?? []).filter((name) => !['unit', 'broker', 'e2e'].includes(name));
const stray = positionals.filter((p) => !/^test\/(unit|broker|e2e)\//.test(p));
if (unknown.length || stray.length) {
  console.error(`test/run.ts: ${unknown.length ? `no test group named ${unknown.join(', ')} (unit, broker, e2e)` : `name test files as test/<group>/…: ${stray.join(', ')}`}`);
  process.exit(2);
}

const env = { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' };
const counts = { passed: 0, failed: 0, skipped: 0 };
let failedGroups: string[] = [];

for (const group of groups) {
  const files = positionals.length ? positionals.filter((p) => p.startsWith(`test/${group.name}/`)) : globSync(group.pattern).sort();
  if (files.length === 0) continue;
  if (group.build && !values['no-build']) {
    console.log('\n▶ building the site (astro build)');
    const build = spawnSync(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build'], { stdio: 'inherit', env });
    if (build.status !== 0) {
      failedGroups.push(`${group.name} (build failed)`);
      counts.failed++;
      continue;
    }
  }
  console.log(`\n▶ ${group.name} tests`);
  // Browser tests share one Chromium: each test file connects to it instead of launching its own.
  const browser = group.name === 'e2e' ? await launchSharedBrowser() : null;
  const dir = mkdtempSync(join(tmpdir(), 'hotpot-test-'));
  const summary = join(dir, 'summary.json');
  // Not spawnSync: the shared browser's server lives in this process and must keep answering.
  const result = await run(
    process.execPath,
    [
      '--test',
      `--test-concurrency=${group.concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=./test/summary-reporter.ts',
      `--test-reporter-destination=${summary}`,
      ...files,
    ],
    { stdio: 'inherit', env: browser ? { ...env, [SHARED_BROWSER_ENV]: browser.wsEndpoint() } : env },
  );
  await browser?.close();
  if (existsSync(summary)) {
    const s = JSON.parse(readFileSync(summary, 'utf8')) as typeof counts;
    counts.passed += s.passed;
    counts.failed += s.failed;
    counts.skipped += s.skipped;
  }
  rmSync(dir, { recursive: true, force: true });
  if (result.status !== 0) failedGroups.push(group.name);
}

console.log(`\n${failedGroups.length ? `failed groups: ${failedGroups.join(', ')}` : 'all groups passed'}`);
console.log(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(failedGroups.length ? 1 : 0);

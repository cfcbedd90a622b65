// `npm run workshop` and `npm start -- --workshop` as an operator meets them: the printed
// link, the warning for a reachable address, and clear refusals of bad flags and links.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHub } from '../../workshop/hub.ts';
import { openSqliteStore } from '../../workshop/store/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'hotpot-workshop-cli-'));
const dist = join(dir, 'dist');
mkdirSync(dist);
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Hotpot</title>');
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (script: string, args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 60_000 });

test('the hub prints the instructor’s link with its secret, and warns when it listens beyond this machine', async () => {
  const child = spawn(process.execPath, ['workshop/cli.ts', '--no-build', '--dist', dist, '--db', join(dir, 'w.db'), '--port', '0', '--host', '0.0.0.0', '--secret', 's3cret'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(out + err)), 30_000);
    child.stdout.on('data', () => /console/.test(out) && (clearTimeout(timer), resolve()));
  });
  child.kill('SIGTERM');
  await exited;
  assert.match(out, /Instructor's console \(keep this link to yourself\): http:\/\/localhost:\d+\/workshop\/#key=s3cret\n/);
  assert.match(out, new RegExp(`Workshops are kept in ${join(dir, 'w.db').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.match(err, /Warning: the hub listens on 0\.0\.0\.0:\d+, which other machines can reach/);
});

test('the hub refuses contradictory or malformed flags in words', () => {
  const both = run('workshop/cli.ts', ['--no-build', '--db', 'x.db', '--redis-url', 'redis://127.0.0.1:1']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--db and --redis-url both say where to keep the workshops: choose one/);
  const port = run('workshop/cli.ts', ['--no-build', '--port', 'eighty']);
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--port must be a number from 0 to 65535, not "eighty"/);
  const origin = run('workshop/cli.ts', ['--no-build', '--origin', 'not a url']);
  assert.match(origin.stderr, /--origin must be a URL/);
});

test('npm start -- --workshop refuses a link that is not a join link, or a code the hub does not know', async () => {
  const notLink = run('runner/cli.ts', ['--no-build', '--workshop', 'K7M2QX']);
  assert.equal(notLink.status, 2);
  assert.match(notLink.stderr, /--workshop must be the join link your instructor gave/);
  const noCode = run('runner/cli.ts', ['--no-build', '--workshop', 'http://127.0.0.1:9/join/']);
  assert.match(noCode.stderr, /is not a join link/);
  const store = openSqliteStore(join(dir, 'hub.db'));
  const hub = await createHub({ store, dist });
  try {
    const unknown = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, ['runner/cli.ts', '--no-build', '--workshop', `http://127.0.0.1:${hub.port}/join/?code=ZZZZZZ`], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.once('exit', (status) => resolve({ status, stderr }));
    });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, new RegExp(`the hub at http://127\\.0\\.0\\.1:${hub.port} has no workshop with the code ZZZZZZ`));
  } finally {
    await hub.close();
    await store.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SandboxManifest, SandboxPath, describeIssues, withPorts } from '../../sandboxes/schema.ts';
import { listSandboxes, loadSandbox, sandboxesDir } from '../../sandboxes/load.ts';
import hotpot, { validateSandboxes } from '../../site/integration/index.ts';

const good = {
  id: 'demo',
  title: 'Demo',
  ports: { web: 3000, redis: 6379 },
  processes: [
    { name: 'broker', role: 'broker', command: ['redis-server', '--port', '${port:redis}'], ready: { type: 'port', port: 'redis' } },
    { name: 'web', command: ['node', 'server.ts'], env: { PORT: '${port:web}' }, ready: { type: 'http', port: 'web' } },
  ],
  preview: { port: 'web' },
  steps: [{ id: 'one', title: 'One', start: 'steps/one/start', solution: 'steps/one/solution', check: { command: ['node', 'check.ts'] } }],
};

function issues(value: unknown): string {
  const r = SandboxManifest.safeParse(value);
  assert.equal(r.success, false, 'expected the manifest to be refused');
  return describeIssues(r.error!);
}

test('a good manifest parses, with defaults filled in', () => {
  const m = SandboxManifest.parse(good);
  assert.equal(m.processes[1]!.readyTimeoutMs, 20_000);
  assert.equal(m.processes[1]!.killable, false);
  assert.equal(m.preview?.path, '/');
  assert.deepEqual(m.steps[0]!.check.files, []);
});

test('broken manifests name the field that is wrong', () => {
  assert.match(issues({ ...good, processes: [] }), /^processes: /m);
  assert.match(issues({ ...good, processes: [{ ...good.processes[0], command: 'redis-server --port 1' }] }), /^processes\.0\.command: /m);
  assert.match(issues({ ...good, processes: [{ ...good.processes[1], ready: { type: 'port', port: 'nope' } }] }), /processes\.0\.ready\.port: unknown port "nope"/);
  assert.match(issues({ ...good, processes: [good.processes[0], good.processes[0]] }), /processes\.1\.name: duplicate process name "broker"/);
  assert.match(issues({ ...good, processes: [{ ...good.processes[1], env: { PORT: '${port:elsewhere}' } }] }), /\$\{port:elsewhere\} names an undeclared port/);
  assert.match(issues({ ...good, preview: { port: 'ftp' } }), /preview\.port: unknown port "ftp"/);
  assert.match(issues({ ...good, steps: [{ ...good.steps[0], start: '../outside' }] }), /steps\.0\.start: file paths must stay inside the sandbox/);
  assert.match(issues({ ...good, id: 'Not A Slug' }), /^id: /m);
  assert.match(issues({ ...good, processes: [{ ...good.processes[1], ready: { type: 'log', pattern: 'ready (' } }] }), /processes\.0\.ready\.pattern: is not a valid regular expression/);
  assert.equal(SandboxManifest.safeParse({ ...good, processes: [{ ...good.processes[0], command: ['redis-server', '--save', ''] }] }).success, true, 'an empty argument is an argument');
  assert.match(issues({ ...good, processes: [{ ...good.processes[0], command: [''] }] }), /^processes\.0\.command\.0: /m);
  assert.match(issues({ ...good, ports: { web: 80 } }), /^ports\.web: /m);
});

test('sandbox paths: relative, inside, forward slashes, no node_modules', () => {
  for (const ok of ['server.ts', 'src/a/b.ts', 'checks/lib.ts']) assert.equal(SandboxPath.safeParse(ok).success, true, ok);
  for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'a\\b', 'C:/x', 'node_modules/bullmq/index.js', '', 'a//b', './a', 'a/', 'a\u0007b'])
    assert.equal(SandboxPath.safeParse(bad).success, false, bad);
});

test('withPorts substitutes allocated ports and refuses unknown names', () => {
  assert.equal(withPorts('redis://127.0.0.1:${port:redis}/0', { redis: 41234 }), 'redis://127.0.0.1:41234/0');
  assert.throws(() => withPorts('${port:web}', {}), /names an undeclared port/);
});

test('every sandbox in the repository loads, and each step has files and a solution that differs', async () => {
  const ids = await listSandboxes();
  assert.ok(ids.length >= 1);
  for (const id of ids) {
    const s = await loadSandbox(id);
    for (const step of s.steps) {
      assert.ok(Object.keys(step.files).length > 0, `${id}/${step.id} has starting files`);
      assert.notDeepEqual(step.solution, step.files, `${id}/${step.id}: the solution changes something`);
    }
  }
});

test("the site build's first step refuses a broken manifest, naming the file and the field", async () => {
  const root = await mkdtemp(join(tmpdir(), 'hotpot-manifest-'));
  try {
    const id = (await listSandboxes())[0]!;
    await cp(join(sandboxesDir, id), join(root, 'sandboxes', id), { recursive: true });
    const file = join(root, 'sandboxes', id, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    manifest.processes[0].ready = { type: 'port', port: 'missing' };
    await writeFile(file, JSON.stringify(manifest));
    // The hook Astro calls first in every build (astro.config.mjs registers it), as Astro calls it.
    const setup = hotpot().hooks['astro:config:setup']!;
    const logged: string[] = [];
    const build = () =>
      (setup as (o: unknown) => Promise<void>)({
        config: { root: pathToFileURL(`${root}/`), publicDir: pathToFileURL(join(root, 'public/')) },
        logger: { info: (m: string) => logged.push(m), warn: () => {}, error: () => {} },
      });
    await assert.rejects(build(), (e: Error) => {
      assert.match(e.message, new RegExp(`sandboxes/${id}/manifest\\.json`));
      assert.match(e.message, /processes\.0\.ready\.port: unknown port "missing"/);
      return true;
    });
    assert.deepEqual(logged, [], 'it stopped before doing anything else');
    await writeFile(file, '{ not json');
    await assert.rejects(build(), /manifest\.json: .*JSON/);
    await assert.rejects(validateSandboxes(root), /manifest\.json: .*JSON/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

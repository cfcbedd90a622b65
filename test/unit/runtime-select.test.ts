import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alternative, choose, plan, preferenceFrom, webContainerBlocker, withTimeout, type Situation } from '../../site/runtime/select.ts';
import type { SandboxRuntime } from '../../site/runtime/types.ts';
import { SandboxManifest } from '../../sandboxes/schema.ts';
import { listSandboxes, loadSandbox } from '../../sandboxes/load.ts';

const fake = (kind: 'webcontainer' | 'local'): SandboxRuntime => ({ kind, reason: kind, run: async () => { throw new Error('not used'); }, dispose() {} });
const base: Situation = { preference: 'auto', crossOriginIsolated: true };

test('?runtime= is read, and a wrong value is said, not ignored', () => {
  assert.deepEqual(preferenceFrom(''), { preference: 'auto' });
  assert.deepEqual(preferenceFrom('?runtime=local'), { preference: 'local' });
  assert.deepEqual(preferenceFrom('?x=1&runtime=webcontainer'), { preference: 'webcontainer' });
  const wrong = preferenceFrom('?runtime=docker');
  assert.equal(wrong.preference, 'auto');
  assert.match(wrong.note!, /docker is not a runtime/);
});

test('plans: WebContainer first only where it can start', () => {
  assert.deepEqual(plan(base).map((p) => p.kind), ['webcontainer', 'local']);
  assert.deepEqual(plan({ ...base, crossOriginIsolated: false }).map((p) => p.kind), ['local']);
  assert.match(plan({ ...base, crossOriginIsolated: false })[0]!.why, /not cross-origin isolated/);
  assert.deepEqual(plan({ ...base, preference: 'local' }).map((p) => p.kind), ['local']);
  assert.deepEqual(plan({ ...base, preference: 'webcontainer' }).map((p) => p.kind), ['webcontainer', 'local']);
  assert.match(plan({ ...base, blocker: 'this sandbox starts redis-server' })[0]!.why, /redis-server/);
  assert.match(plan({ ...base, failedAgoMs: 120_000 })[0]!.why, /failed to start 2 min ago/);
  assert.deepEqual(plan({ ...base, failedAgoMs: 60 * 60_000 }).map((p) => p.kind), ['webcontainer', 'local']);
});

test('a page served by a local runner runs there first: no boot to wait for, WebContainer only if the runner does not answer', () => {
  const served = { ...base, localRunner: true };
  assert.deepEqual(plan(served).map((p) => p.kind), ['local', 'webcontainer']);
  assert.match(plan(served)[0]!.why, /served by npm start/);
  assert.equal(plan(served)[0]!.line, 'Running on this machine');
  // Not isolated, or a sandbox WebContainer cannot run: the runner alone.
  assert.deepEqual(plan({ ...served, crossOriginIsolated: false }).map((p) => p.kind), ['local']);
  assert.deepEqual(plan({ ...served, blocker: 'starts redis-server' }).map((p) => p.kind), ['local']);
  // ?runtime= still decides.
  assert.deepEqual(plan({ ...served, preference: 'webcontainer' }).map((p) => p.kind), ['webcontainer', 'local']);
  // A static host: WebContainer first.
  assert.deepEqual(plan({ ...base, localRunner: false }).map((p) => p.kind), ['webcontainer', 'local']);
});

test('the other runtime is offered only where it can run', () => {
  assert.equal(alternative('local', { ...base, localRunner: true }), 'webcontainer');
  assert.equal(alternative('local', { ...base, localRunner: true, crossOriginIsolated: false }), undefined);
  assert.equal(alternative('local', { ...base, localRunner: true, blocker: 'native' }), undefined);
  assert.equal(alternative('webcontainer', { ...base, localRunner: true }), 'local');
  assert.equal(alternative('webcontainer', { ...base, localRunner: false }), undefined);
  assert.equal(alternative(null, { ...base, localRunner: false }), 'webcontainer');
});

test('a local runner that does not answer hands over to WebContainer, and the line says so in plain words', async () => {
  const choice = await choose({ ...base, localRunner: true }, { webcontainer: async () => fake('webcontainer'), local: async () => null });
  assert.equal(choice.runtime?.kind, 'webcontainer');
  assert.equal(choice.line, 'Running in this browser (the local runner did not answer)');
});

test('a WebContainer boot that never settles falls back to the local runner, and says why', async () => {
  const failures: string[] = [];
  const never = new Promise<SandboxRuntime>(() => {});
  const choice = await choose(
    base,
    { webcontainer: (ms) => withTimeout(never, ms, 'WebContainer boot'), local: async () => fake('local'), onWebContainerFailure: (e) => failures.push(e.message) },
    50,
  );
  assert.equal(choice.runtime?.kind, 'local');
  assert.equal(choice.line, 'Running on this machine (the in-browser runtime did not start)');
  assert.match(choice.reason, /Local runner .*WebContainer did not start.*did not finish within 0 s/);
  assert.equal(failures.length, 1);
});

test('with neither runtime, the reader is told how to run it locally', async () => {
  const choice = await choose({ ...base, crossOriginIsolated: false }, { webcontainer: async () => fake('webcontainer'), local: async () => null });
  assert.equal(choice.runtime, null);
  assert.match(choice.line, /npm install && npm start/);
  assert.match(choice.reason, /no local runner answers/);
});

test('WebContainer is chosen when it boots', async () => {
  const choice = await choose(base, { webcontainer: async () => fake('webcontainer'), local: async () => fake('local') });
  assert.equal(choice.runtime?.kind, 'webcontainer');
});

test('a sandbox that starts a native binary is flagged for WebContainer', () => {
  const m = SandboxManifest.parse({
    id: 'x', title: 'X', ports: { a: 2000 },
    processes: [{ name: 'db', command: ['redis-server'] }, { name: 'app', command: ['node', 'a.ts'] }],
    steps: [{ id: 's', title: 'S', start: 'a', solution: 'b', check: { command: ['node', 'c.ts'] } }],
  });
  assert.match(webContainerBlocker(m)!, /redis-server/);
  assert.equal(webContainerBlocker({ ...m, processes: [m.processes[1]!] }), undefined);
});

test('every course sandbox is pure Node (its broker included), so automatic selection tries WebContainer first', async () => {
  const ids = await listSandboxes();
  assert.ok(ids.includes('async-tasks'));
  for (const id of ids) {
    const { manifest } = await loadSandbox(id);
    assert.equal(webContainerBlocker(manifest), undefined, `${id}: ${webContainerBlocker(manifest)}`);
    assert.deepEqual(plan({ ...base, blocker: webContainerBlocker(manifest) }).map((p) => p.kind), ['webcontainer', 'local'], id);
  }
  const { manifest } = await loadSandbox('async-tasks');
  const broker = manifest.processes.find((p) => p.role === 'broker');
  assert.deepEqual(broker?.command.slice(0, 2), ['node', 'node_modules/hotpot-broker/cli.js'], 'the broker is the embedded one, run by node');
});

test("every sandbox asks a WebContainer for Node 22 the way StackBlitz reads it: an exact version, not a range", async () => {
  const { CONTAINER_NODE } = await import('../../site/runtime/webcontainer/index.ts');
  for (const id of await listSandboxes()) {
    const { steps } = await loadSandbox(id);
    const pkg = JSON.parse(steps[0]!.files['package.json'] ?? '{}') as { engines?: { node?: string } };
    assert.match(pkg.engines?.node ?? '(none)', /^22\.\d+\.\d+$/, `${id}/files/package.json engines.node`);
    assert.equal(`v${pkg.engines!.node}`, CONTAINER_NODE, `${id}: the same version the adapter's .nvmrc names`);
  }
});

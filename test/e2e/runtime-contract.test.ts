// One contract, every runtime: the same runs, with the same expectations, against the local
// runner (for real, over its WebSocket) and against the WebContainer adapter driving a
// stand-in for the WebContainer API that runs real processes — with this machine's Node 22,
// and with Debian's Node 20, whose containers need the type-stripping loader. What differs
// between the two transports is only how things are done; what the reader sees must not.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSandbox, sandboxesDir } from '../../sandboxes/load.ts';
import type { FileMap, SandboxManifest } from '../../sandboxes/schema.ts';
import { createRunnerServer, type RunnerServer } from '../../runner/server.ts';
import { LocalRuntime } from '../../site/runtime/local/index.ts';
import { WebContainerRuntime, prepareContainer } from '../../site/runtime/webcontainer/index.ts';
import type { RunEvents, RunHandle, RunState, SandboxRuntime } from '../../site/runtime/types.ts';
import { fixtureDist, fixtureSandboxes, localFetch, sleep } from '../fixtures/runner-client.ts';
import { StandInContainer } from '../fixtures/webcontainer-standin.ts';
import { freePort } from './harness.ts';

const GENERATED = join(import.meta.dirname, '..', '..', 'site', 'public', 'generated');

/** Everything a run told the workbench, in order, with waits on it. */
class Recorder implements RunEvents {
  outputs = new Map<string, string>();
  states: { process: string; state: string; detail?: string }[] = [];
  runs: { state: RunState; message?: string }[] = [];
  ports = new Map<string, string | null>();
  portLog: [string, string | null][] = [];
  errors: string[] = [];
  output(process: string, data: string) {
    this.outputs.set(process, (this.outputs.get(process) ?? '') + data);
  }
  process(process: string, state: string, detail?: string) {
    this.states.push({ process, state, detail });
  }
  run(state: RunState, message?: string) {
    this.runs.push({ state, message });
  }
  port(port: string, url: string | null) {
    this.ports.set(port, url);
    this.portLog.push([port, url]);
  }
  error(message: string) {
    this.errors.push(message);
  }
  get last(): RunState | undefined {
    return this.runs.at(-1)?.state;
  }
  async until(cond: () => boolean, what: string, ms = 45_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; run states: ${JSON.stringify(this.runs)}; processes: ${JSON.stringify(this.states.slice(-8))}; errors: ${JSON.stringify(this.errors)}`);
      await sleep(25);
    }
  }
  ended(): Promise<void> {
    return this.until(() => this.last === 'stopped' || this.last === 'failed', 'the run to end');
  }
  running(): Promise<void> {
    return this.until(() => this.last === 'running' || this.last === 'failed' || this.last === 'stopped', 'the run to start').then(() => {
      assert.equal(this.last, 'running', `the run should be running: ${JSON.stringify(this.runs)}`);
    });
  }
}

interface Subject {
  runtime: SandboxRuntime;
  manifest: SandboxManifest;
  steps: { files: FileMap; solution: FileMap }[];
  /** A GET of a path on a port the run announced. */
  get(url: string, path: string): Promise<Response>;
  /** Sandbox processes of this subject still alive (after a stop: none). */
  alive(): number;
  standin?: StandInContainer;
  close(): Promise<void>;
}

type Kind = { name: string; node?: string };

async function localSubject(id: string, root: string, dist: string): Promise<Subject> {
  const server: RunnerServer = await createRunnerServer({ port: 0, dist, sandboxesRoot: root });
  const sandbox = await loadSandbox(id, root);
  return {
    runtime: new LocalRuntime(server.token, server.url),
    manifest: sandbox.manifest,
    steps: sandbox.steps,
    // The runner's preview is an origin of its own under .localhost (as a browser resolves it).
    get: (url, path) => localFetch(new URL(path.replace(/^\//, ''), new URL(url, server.url)).href),
    alive: () => server.runs().length,
    close: () => server.close(),
  };
}

async function containerSubject(id: string, root: string, node?: string): Promise<Subject> {
  const sandbox = await loadSandbox(id, root);
  // A container has its own port space; this stand-in shares the machine's, so free ones.
  const ports: Record<string, number> = {};
  for (const name of Object.keys(sandbox.manifest.ports)) ports[name] = await freePort();
  const manifest = { ...sandbox.manifest, ports };
  const standin = new StandInContainer({ ports: Object.values(ports), node });
  // What the site build publishes under /generated; check files as the build copies them.
  const built = (path: string) => {
    const check = /^\/generated\/checks\/([^/]+)\/(.+)$/.exec(path);
    return readFile(check ? join(root, check[1]!, check[2]!) : join(GENERATED, path.replace(/^\/generated\//, '')));
  };
  const target = await prepareContainer(standin, async (path) => new Uint8Array(await built(path)));
  const runtime = new WebContainerRuntime({
    container: standin,
    node: target,
    fetchAsset: async (path) => built(path).then((b) => new Response(new Uint8Array(b)), () => new Response('missing', { status: 404 })),
  });
  return {
    runtime,
    manifest,
    steps: sandbox.steps,
    get: (url, path) => fetch(new URL(path.replace(/^\//, ''), url.endsWith('/') ? url : `${url}/`)),
    alive: () => standin.running(),
    standin,
    close: async () => {
      runtime.dispose();
      await sleep(200);
      standin.teardown();
    },
  };
}

function subject(kind: Kind, id: string, root = sandboxesDir): Promise<Subject> {
  return kind.name === 'local runner' ? localSubject(id, root, fixtureDist) : containerSubject(id, root, kind.node);
}

async function start(s: Subject, step: number, files: FileMap = s.steps[step]!.files): Promise<{ handle: RunHandle; events: Recorder }> {
  const events = new Recorder();
  const handle = await s.runtime.run({ manifest: s.manifest, step: s.manifest.steps[step]!.id, files }, events);
  return { handle, events };
}

const node20 = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const kinds: Kind[] = [{ name: 'local runner' }, { name: 'WebContainer adapter (stand-in, this Node)' }];
if (/^v20\./.test(node20)) kinds.push({ name: `WebContainer adapter (stand-in, Debian's Node ${node20})`, node: '/usr/bin/node' });

for (const kind of kinds) {
  describe(kind.name, () => {
    const open: Subject[] = [];
    const make = async (id: string, root = fixtureSandboxes) => {
      const s = await subject(kind, id, root);
      open.push(s);
      return s;
    };
    after(async () => {
      for (const s of open) await s.close();
    });

    test('processes start in manifest order, each once the one before is ready; an http probe is a real GET', { timeout: 90_000 }, async () => {
      const s = await make('echo');
      const { handle, events } = await start(s, 0);
      await events.running();
      const ready = (name: string) => events.states.findIndex((e) => e.process === name && e.state === 'ready');
      const starting = (name: string) => events.states.findIndex((e) => e.process === name && e.state === 'starting');
      assert.ok(ready('broker') < starting('web') && ready('web') < starting('spawner'), JSON.stringify(events.states));
      const web = events.ports.get('web');
      assert.ok(web, 'the web port was announced');
      const gets = (await (await s.get(web, '/health-gets')).json()) as { method: string; agent: string }[];
      assert.ok(gets.length >= 1 && gets.every((g) => g.method === 'GET'), `the probe asked ${JSON.stringify(gets)}`);
      await handle.stop();
      await events.ended();
      assert.equal(events.last, 'stopped');
      assert.equal(s.alive(), 0, 'nothing of the run is left');
    });

    test("each process's output reaches its own terminal, UTF-8 whole; input reaches the process", { timeout: 90_000 }, async () => {
      const s = await make('echo');
      const { handle, events } = await start(s, 0);
      await events.running();
      await events.until(() => (events.outputs.get('web') ?? '').includes('漢字'), "the web process's greeting");
      assert.match(events.outputs.get('web')!, /\x1b\[32mlistening\x1b\[0m on port \d+ — ünïcödé ✓ 漢字/);
      assert.doesNotMatch(events.outputs.get('broker') ?? '', /spawner pid/);
      handle.input('spawner', 'hello there\n');
      await events.until(() => (events.outputs.get('spawner') ?? '').includes('got input: hello there'), 'the echoed input');
      await handle.stop();
      await events.ended();
    });

    test('Kill ends a process and says so; Restart brings it back ready, with its port', { timeout: 90_000 }, async () => {
      const s = await make('echo');
      const { handle, events } = await start(s, 0);
      await events.running();
      await handle.kill('web');
      await events.until(() => events.states.some((e) => e.process === 'web' && e.state === 'killed'), 'web killed');
      const before = events.portLog.length;
      await handle.restart('web');
      await events.until(() => events.states.filter((e) => e.process === 'web' && e.state === 'ready').length === 2, 'web ready again');
      await events.until(() => events.portLog.slice(before).some(([p, u]) => p === 'web' && u), 'the web port announced again');
      const web = events.ports.get('web')!;
      assert.equal((await s.get(web, '/health')).status, 200);
      await handle.stop();
      await events.ended();
    });

    test("a check fails with its last line as the reason and passes on the solution; a slow one fails with its time", { timeout: 120_000 }, async () => {
      const s = await make('echo');
      let { handle, events } = await start(s, 0);
      await events.running();
      const failed = await handle.check('answer');
      assert.equal(failed.ok, false);
      assert.match(failed.reason, /^answer\.txt should say 42, it says /);
      assert.doesNotMatch(failed.reason, /\x1b/, 'escapes are out of the reason');
      await handle.stop();
      ({ handle, events } = await start(s, 0, s.steps[0]!.solution));
      await events.running();
      const passed = await handle.check('answer');
      assert.deepEqual([passed.ok, passed.reason], [true, 'all good: the answer is 42']);
      await handle.stop();
      ({ handle, events } = await start(s, 1));
      await events.running();
      const slow = await handle.check('slow');
      assert.deepEqual([slow.ok, slow.reason], [false, 'the check took longer than 1.5 s']);
      await handle.stop();
      await events.ended();
      assert.equal(s.alive(), 0);
    });

    test('Stop while the sandbox is starting is honoured: it never comes up, nothing is left', { timeout: 90_000 }, async () => {
      const s = await make('echo');
      const { handle, events } = await start(s, 0);
      await events.until(() => events.states.some((e) => e.state === 'starting'), 'a process starting');
      await handle.stop();
      await events.ended();
      assert.equal(events.last, 'stopped');
      assert.ok(!events.runs.some((r) => r.state === 'running'), `it never ran: ${JSON.stringify(events.runs)}`);
      await sleep(1000);
      assert.equal(s.alive(), 0, 'no process of the run is left');
    });

    test('every run starts from a clean folder: files of an earlier run are gone', { timeout: 90_000 }, async () => {
      const s = await make('echo');
      let { handle, events } = await start(s, 0, { ...s.steps[0]!.files, 'leftover.txt': 'from the first run' });
      await events.running();
      assert.ok(((await (await s.get(events.ports.get('web')!, '/files')).json()) as string[]).includes('leftover.txt'));
      await handle.stop();
      ({ handle, events } = await start(s, 0));
      await events.running();
      const files = (await (await s.get(events.ports.get('web')!, '/files')).json()) as string[];
      assert.ok(!files.includes('leftover.txt'), `the second run sees ${files.join(', ')}`);
      assert.ok(!files.includes('checks'), 'no check file stays behind');
      await handle.stop();
      await events.ended();
    });

    test('a process that exits before it is ready, or is never ready, fails the run and says which and why', { timeout: 90_000 }, async () => {
      const s = await make('misbehave');
      let { handle, events } = await start(s, 0, { ...s.steps[0]!.files, 'mode.txt': 'crash' });
      await events.ended();
      assert.equal(events.last, 'failed');
      assert.match(events.runs.at(-1)!.message!, /"app" exited with code 3 before it was ready \(it waited for HTTP GET \/ on port "app" to answer\)/);
      await handle.stop();
      ({ handle, events } = await start(s, 0, { ...s.steps[0]!.files, 'mode.txt': 'stuck' }));
      await events.ended();
      assert.match(events.runs.at(-1)!.message!, /"app" was not ready after 6 s: it waited for HTTP GET \/ on port "app" to answer\./);
      await handle.stop();
      await sleep(500);
      assert.equal(s.alive(), 0, 'the stuck process was ended');
    });

    test('the async-tasks lesson: step 1 fails on its starting files with its reason and passes on its solution', { timeout: 180_000 }, async () => {
      const s = await make('async-tasks', sandboxesDir);
      if (kind.node) {
        // The loader path: only the solution, to keep the suite short.
        const { handle, events } = await start(s, 0, s.steps[0]!.solution);
        await events.running();
        const result = await handle.check('make-it-async');
        assert.equal(result.ok, true, result.output);
        await handle.stop();
        const worker = s.standin!.spawned.find((p) => p.args.includes('worker.ts'))!;
        assert.deepEqual(worker.args.slice(2, 4), ['--import', './.hotpot/strip-types/register.mjs'], 'Node 20 runs TypeScript through the loader');
        return;
      }
      let { handle, events } = await start(s, 0);
      await events.running();
      const failed = await handle.check('make-it-async');
      assert.equal(failed.ok, false);
      assert.match(failed.reason, /queue|job|worker|async|request/i);
      await handle.stop();
      ({ handle, events } = await start(s, 0, s.steps[0]!.solution));
      await events.running();
      const passed = await handle.check('make-it-async');
      assert.equal(passed.ok, true, passed.output);
      await handle.stop();
      await events.ended();
    });
  });
}

describe('WebContainer adapter only', () => {
  test('node gets type-stripping flags only for .ts entry points, never for the bundled broker', { timeout: 90_000 }, async () => {
    const s = await containerSubject('async-tasks', sandboxesDir);
    try {
      const { handle, events } = await start(s, 0, s.steps[0]!.solution);
      await events.running();
      await handle.stop();
      const broker = s.standin!.spawned.find((p) => p.args.includes('node_modules/hotpot-broker/cli.js'))!;
      assert.ok(!broker.args.some((a) => /strip-types|--import/.test(a)), broker.args.join(' '));
      assert.equal(broker.args[0], '--no-addons', 'no native addons, in a container as locally');
      const web = s.standin!.spawned.find((p) => p.args.includes('server.ts'))!;
      assert.ok(web.env.PORT && web.env.REDIS_URL?.endsWith(`:${s.manifest.ports.redis}`), 'ports in the environment');
    } finally {
      await s.close();
    }
  });

  test('a closed port takes its preview away; container errors reach the reader; no listener outlives the run', { timeout: 90_000 }, async () => {
    const s = await containerSubject('echo', fixtureSandboxes);
    try {
      const listenersBefore = s.standin!.listenerCount();
      const { handle, events } = await start(s, 0);
      await events.running();
      assert.ok(events.ports.get('web'));
      await handle.kill('web');
      await events.until(() => events.ports.get('web') === null, 'the web preview taken away');
      s.standin!.raiseError('Unable to access storage: third-party cookies are blocked');
      assert.match(events.errors.at(-1)!, /third-party cookies are blocked/);
      await handle.stop();
      await events.ended();
      assert.equal(s.standin!.listenerCount(), listenersBefore, 'every listener was let go');
    } finally {
      await s.close();
    }
  });
});

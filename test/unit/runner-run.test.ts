// One run without the server (as benchmarks use it): failures while starting, and each run
// limit hit for real. Fixture: test/fixtures/sandboxes/misbehave (mode.txt says how it misbehaves).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { loadSandbox, type LoadedSandbox } from '../../sandboxes/load.ts';
import type { ServerMessage } from '../../engine/contract.ts';
import { Run, RunError } from '../../runner/run.ts';
import { RunCgroup, TASKS_PER_PROCESS } from '../../runner/cgroup.ts';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Limits } from '../../engine/limits.ts';
import { fixtureSandboxes, isAlive, waitUntil } from '../fixtures/runner-client.ts';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

let misbehave: LoadedSandbox;
let echo: LoadedSandbox;
before(async () => {
  misbehave = await loadSandbox('misbehave', fixtureSandboxes);
  echo = await loadSandbox('echo', fixtureSandboxes);
});

function start(mode: string, limits: Partial<Limits> = {}) {
  const messages: ServerMessage[] = [];
  const run = new Run({ sandbox: misbehave, step: 'only', files: { ...misbehave.steps[0]!.files, 'mode.txt': mode }, limits, onMessage: (m) => messages.push(m) });
  const started = run.start();
  return { run, messages, started };
}

function lastRun(messages: ServerMessage[]): Of<'run'> | undefined {
  return messages.filter((m): m is Of<'run'> => m.type === 'run').at(-1);
}

/** Pids of live processes working in this folder (sandbox processes and their children). */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/cwd`).startsWith(dir) && isAlive(Number(e))) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

describe('a run that fails to start', () => {
  test('a process that exits before it is ready fails the run, naming the process and its probe', async () => {
    const { run, messages, started } = start('crash');
    await assert.rejects(started, (e: unknown) => e instanceof RunError && e.code === 'start-failed');
    const final = lastRun(messages)!;
    assert.equal(final.state, 'failed');
    assert.equal(final.message, '"app" exited with code 3 before it was ready (it waited for HTTP GET / on port "app" to answer).');
    assert.ok(messages.some((m) => m.type === 'output' && m.data.includes('something is wrong')), 'its output reached the terminal');
    assert.ok(messages.some((m) => m.type === 'process' && m.state === 'failed'));
    assert.equal(existsSync(run.dir!), false, 'the folder is removed');
  });

  test('a process that never gets ready fails the run after readyTimeoutMs and is killed', async () => {
    const { run, messages, started } = start('stuck');
    await assert.rejects(started, RunError);
    assert.equal(lastRun(messages)!.message, '"app" was not ready after 6 s: it waited for HTTP GET / on port "app" to answer.');
    const pid = run.processes()[0]!.pid!;
    await waitUntil(() => !isAlive(pid), 'the stuck process to be gone');
    assert.equal(existsSync(run.dir!), false);
  });

  test('bad files are refused before anything is written', async () => {
    const messages: ServerMessage[] = [];
    const run = new Run({ sandbox: misbehave, step: 'only', files: { 'mode.txt': 'ok', '../escape.txt': 'x' }, onMessage: (m) => messages.push(m) });
    await assert.rejects(run.start(), (e: unknown) => e instanceof RunError && e.code === 'bad-path');
    assert.equal(run.dir, null, 'no folder was made');
    assert.ok(messages.some((m) => m.type === 'error' && m.code === 'bad-path' && /"\.\.\/escape\.txt" is refused/.test(m.message)));
  });

  test('an unknown step is refused', async () => {
    const run = new Run({ sandbox: misbehave, step: 'nope', files: misbehave.steps[0]!.files });
    await assert.rejects(run.start(), (e: unknown) => e instanceof RunError && e.code === 'unknown-step');
  });
});

describe('limits, hit for real', () => {
  test('output over the rate is dropped with one yellow notice line saying how much', async () => {
    const { run, messages, started } = start('flood', { outputBytesPerSecond: 16 * 1024 });
    await started;
    try {
      await waitUntil(() => messages.some((m) => m.type === 'output' && m.data.includes('of output dropped')), 'the dropped-output notice', 20_000);
      const notice = messages.find((m): m is Of<'output'> => m.type === 'output' && m.data.includes('of output dropped'))!;
      assert.match(notice.data, /\x1b\[0;33m\[hotpot\] [\d.]+ (KiB|MiB|bytes) of output dropped: this process printed more than 16 KiB per second\.\x1b\[0m/);
      assert.equal(notice.process, 'app');
    } finally {
      await run.stop();
    }
  });

  test('more processes than the limit stop the run with a message, and none of them remains', async () => {
    const { run, messages, started } = start('fork', { processes: 4 });
    await started.catch(() => {}); // the sampler may stop it before or after it is ready
    const dir = run.dir!;
    await waitUntil(() => lastRun(messages)?.state === 'failed', 'the run to fail on the process limit', 20_000);
    const error = messages.find((m): m is Of<'error'> => m.type === 'error')!;
    assert.equal(error.code, 'too-many-processes');
    // Counted by the runner, or refused by the kernel first where the run has a pids cgroup.
    assert.match(error.message, /(more than the limit of 4|limit of 4 allows).*so the run was stopped/);
    assert.equal(lastRun(messages)!.message, error.message);
    await waitUntil(() => processesIn(dir).length === 0, 'every process of the run to be gone');
    assert.equal(existsSync(dir), false);
  });

  test('the run time limit stops the run with a message', async () => {
    const { run, messages, started } = start('ok', { runMs: 4000 }); // long enough to start on a loaded machine
    await started;
    await waitUntil(() => lastRun(messages)?.state === 'stopped', 'the time limit to stop the run', 20_000);
    assert.equal(lastRun(messages)!.message, 'This run reached the time limit of 4 seconds and was stopped. Press Run to start it again.');
    assert.ok(messages.some((m) => m.type === 'error' && m.code === 'time-limit'));
    assert.equal(existsSync(run.dir!), false);
  });
});

describe('--redis-url', () => {
  test('the broker is not started and every process gets the given REDIS_URL', async () => {
    const messages: ServerMessage[] = [];
    const url = 'redis://:secret@127.0.0.1:6399';
    const run = new Run({ sandbox: echo, step: 'answer', files: echo.steps[0]!.files, redisUrl: url, onMessage: (m) => messages.push(m) });
    await run.start();
    try {
      const broker = messages.filter((m): m is Of<'process'> => m.type === 'process' && m.process === 'broker');
      assert.deepEqual(
        broker.map((m) => m.state),
        ['waiting', 'ready'],
      );
      assert.equal(broker[1]!.pid, undefined, 'never started');
      const note = messages.find((m): m is Of<'output'> => m.type === 'output' && m.process === 'broker')!;
      assert.match(note.data, /not started: this runner uses the Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:6399/);
      assert.ok(!messages.some((m) => m.type === 'port' && m.port === 'broker'), 'no port for a broker that is not there');
      const env = (await (await fetch(`http://127.0.0.1:${run.ports.web}/env`)).json()) as { REDIS_URL: string };
      assert.equal(env.REDIS_URL, url);
    } finally {
      await run.stop();
    }
  });
});

/** Whether this machine gives a run a cgroup with a kernel process cap (tests of the cap need one). */
function kernelCapsProcesses(): boolean {
  const probe = RunCgroup.create(`hotpot-probe-${process.pid}`, { processes: 4, memoryBytes: 64 * 1024 * 1024 });
  const caps = probe?.limitsProcesses ?? false;
  probe?.remove();
  return caps;
}

describe('every process is tied to its run', () => {
  for (const cgroup of ['on', 'off'] as const) {
    test(`a daemon that double-forks and calls setsid does not survive Stop (HOTPOT_CGROUP=${cgroup})`, async () => {
      const before = process.env.HOTPOT_CGROUP;
      if (cgroup === 'off') process.env.HOTPOT_CGROUP = 'off';
      try {
        const { run, messages, started } = start('escape');
        await started;
        await waitUntil(() => messages.some((m) => m.type === 'output' && /escaped pid \d+/.test(m.data)), 'the daemon to say its pid');
        const text = messages.filter((m): m is Of<'output'> => m.type === 'output').map((m) => m.data).join('');
        const daemon = Number(/escaped pid (\d+)/.exec(text)![1]);
        assert.ok(isAlive(daemon), 'the daemon runs');
        const sid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);
        assert.notEqual(sid(daemon), sid(run.processes()[0]!.pid!), 'it left the run\'s session');
        await run.stop();
        assert.equal(isAlive(daemon), false, 'Stop ended the daemon too');
      } finally {
        if (before === undefined) delete process.env.HOTPOT_CGROUP;
        else process.env.HOTPOT_CGROUP = before;
      }
    });
  }

  test('the process limit is the kernel\'s where a cgroup caps it: a fork bomb is stopped before it gets far', { skip: kernelCapsProcesses() ? false : 'no pids cgroup here' }, async () => {
    // Every process of a run is in its cgroup, whose pids.max the kernel enforces on each fork.
    const calm = start('ok', { processes: 4 });
    await calm.started;
    try {
      const groups = readFileSync(`/proc/${calm.run.processes()[0]!.pid}/cgroup`, 'utf8');
      assert.match(groups, new RegExp(`hotpot-${process.pid}-${calm.run.id}`), `the app is in the run's cgroup: ${groups}`);
      const capped = calm.run.cgroupDirs().map((d) => join(d, 'pids.max')).filter((f) => existsSync(f));
      assert.ok(capped.length > 0, "the run's cgroup has a pids.max");
      assert.equal(readFileSync(capped[0]!, 'utf8').trim(), String(4 * TASKS_PER_PROCESS));
    } finally {
      await calm.run.stop();
    }
    const { run, messages, started } = start('bomb', { processes: 4 });
    await started.catch(() => {});
    await waitUntil(() => lastRun(messages)?.state === 'failed', 'the run to fail on the process limit', 30_000);
    const said = messages.filter((m): m is Of<'output'> => m.type === 'output').map((m) => m.data).join('');
    const made = Math.max(0, ...(said.match(/made \d+/g) ?? []).map((m) => Number(m.slice(5))));
    assert.ok(made > 0, 'the bomb got going');
    assert.ok(made <= 4 * TASKS_PER_PROCESS, `the kernel refused forks at its cap: ${made} children were made of 300`);
    assert.equal(messages.find((m): m is Of<'error'> => m.type === 'error')!.code, 'too-many-processes');
    await waitUntil(() => processesIn(run.dir!).length === 0, 'every process of the run to be gone');
  });

  test('a run over its memory limit is stopped with a message saying so', async () => {
    const { run, messages, started } = start('memory', { memoryBytes: 96 * 1024 * 1024 });
    await started.catch(() => {});
    await waitUntil(() => lastRun(messages)?.state === 'failed', 'the run to fail on the memory limit', 60_000);
    const error = messages.find((m): m is Of<'error'> => m.type === 'error' && m.code === 'memory-limit');
    assert.ok(error, `a memory-limit error: ${JSON.stringify(messages.filter((m) => m.type === 'error'))}`);
    assert.match(error.message, /used more than its memory limit of 96 MiB/);
    assert.equal(existsSync(run.dir!), false);
  });

  test('a process listening beyond loopback gets a warning in its terminal; one on HOST does not', async () => {
    const all = start('ok');
    await all.started;
    try {
      await waitUntil(() => all.messages.some((m) => m.type === 'output' && m.data.includes('[hotpot] warning')), 'the warning', 20_000);
      const warning = all.messages.find((m): m is Of<'output'> => m.type === 'output' && m.data.includes('[hotpot] warning'))!;
      assert.equal(warning.process, 'app');
      assert.match(warning.data, /"app" listens on (\[::\]|0\.0\.0\.0):\d+, which other computers on the network can reach/);
      assert.match(warning.data, /process\.env\.HOST \(127\.0\.0\.1/);
    } finally {
      await all.run.stop();
    }
    const loop = start('loopback');
    await loop.started;
    try {
      assert.ok(loop.messages.some((m) => m.type === 'output' && m.data.includes('app: ok on 127.0.0.1')), 'the runner passed HOST=127.0.0.1');
      await new Promise((r) => setTimeout(r, 2500)); // the listeners are looked at every second
      assert.ok(!loop.messages.some((m) => m.type === 'output' && m.data.includes('[hotpot] warning')), 'no warning for loopback');
    } finally {
      await loop.run.stop();
    }
  });

  test('twenty restarts at once leave one process running', async () => {
    const run = new Run({ sandbox: echo, step: 'answer', files: echo.steps[0]!.files });
    await run.start();
    try {
      await Promise.all(Array.from({ length: 20 }, () => run.restart('spawner')));
      await new Promise((r) => setTimeout(r, 500));
      const spawners = processesIn(run.dir!).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('spawner.js');
        } catch {
          return false;
        }
      });
      assert.equal(spawners.length, 1, `spawner processes: ${spawners.join(', ')}`);
    } finally {
      await run.stop();
    }
  });

  test('a check whose folder the sandbox replaced with a link fails with words, not "internal"', async () => {
    const run = new Run({ sandbox: echo, step: 'answer', files: echo.steps[0]!.files });
    await run.start();
    const outside = mkdtempSync(join(tmpdir(), 'hotpot-outside-'));
    try {
      symlinkSync(outside, join(run.dir!, 'checks'));
      await assert.rejects(run.check('answer'), (e: unknown) => {
        assert.ok(e instanceof RunError, String(e));
        assert.equal(e.code, 'check-files');
        assert.match(e.message, /"checks" is not a folder.*press Run to start afresh/);
        return true;
      });
      assert.deepEqual(readdirSync(outside), []);
    } finally {
      await run.stop();
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

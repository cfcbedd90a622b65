// The watchdog: a small process the runner starts once, reading a pipe from it. The runner
// writes each run it starts and ends; when the runner dies, however it dies (kill -9, a crash,
// the terminal closing), the kernel closes the pipe and the watchdog kills what is left of
// every run it was told about (its cgroup, every process carrying the run's marker) and
// removes the run folders. It runs in its own session, so a Ctrl+C meant for the runner does
// not end it first.
import { rmSync, rmdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { killMarkedSync } from './proctree.ts';

export interface WatchedRun {
  run: string;
  marker: string;
  dir: string;
  cgroups: string[];
}

const runs = new Map<string, WatchedRun>();
let buffered = '';

function killCgroup(dirs: string[]): void {
  const main = dirs[0];
  if (!main) return;
  try {
    writeFileSync(join(main, 'cgroup.kill'), '1');
  } catch {
    for (let round = 0; round < 5; round++) {
      let pids: number[] = [];
      try {
        pids = readFileSync(join(main, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        break;
      }
      if (!pids.length) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function cleanUp(): void {
  for (const r of runs.values()) {
    killCgroup(r.cgroups);
    killMarkedSync(r.marker, r.run);
  }
  // The killed processes release their folders and groups a moment later.
  sleepSync(200);
  for (const r of runs.values()) {
    killMarkedSync(r.marker, r.run);
    try {
      rmSync(r.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // nothing more to do
    }
    for (const dir of [...r.cgroups].reverse()) {
      for (let i = 0; i < 10; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          sleepSync(100);
        }
      }
    }
  }
  process.exit(0);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    try {
      const m = JSON.parse(line) as { start?: WatchedRun; end?: string };
      if (m.start) runs.set(m.start.run, m.start);
      if (m.end) runs.delete(m.end);
    } catch {
      // not from the runner
    }
  }
});
process.stdin.on('end', cleanUp);
process.stdin.on('error', cleanUp);
// Signals meant for the runner's terminal are not for the watchdog: it ends when the pipe does.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(signal, () => {});

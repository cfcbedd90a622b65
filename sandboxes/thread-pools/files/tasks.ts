// The work the pools run, as plain functions: the same code runs in a worker thread
// (worker.ts, piscina-worker.ts) or, when a route calls it directly, on the main thread.
import { createHash, pbkdf2Sync } from 'node:crypto';
import { isMainThread, threadId } from 'node:worker_threads';

export type Task =
  /** A few microseconds of hashing: the cost of a task is then mostly the cost of a thread. */
  | { kind: 'tiny'; input: string }
  /** A password hash: CPU-bound, tens of milliseconds. */
  | { kind: 'hash'; password: string; iterations: number }
  /** Some computing, then waiting (a blocking read, say) while holding the thread. */
  | { kind: 'io'; iterations: number; waitMs: number };

export interface Result {
  kind: Task['kind'];
  /** Which thread ran it: 0 is the main thread, workers count up from 1 as they are created. */
  threadId: number;
  /** Epoch milliseconds, as measured by the thread that ran it. */
  started: number;
  ended: number;
  /** Milliseconds spent computing (the rest of an io task was waiting). */
  computeMs: number;
  value: string;
}

const now = () => performance.timeOrigin + performance.now();
// A thread blocked in Atomics.wait sleeps without using a core, as one blocked on a socket does.
const nap = new Int32Array(new SharedArrayBuffer(4));

export function runTask(task: Task): Result {
  const started = now();
  let value: string;
  let computeMs: number;
  if (task.kind === 'tiny') {
    value = createHash('sha256').update(task.input).digest('hex');
    computeMs = now() - started;
  } else if (task.kind === 'hash') {
    value = pbkdf2Sync(task.password, 'hotpot-salt', task.iterations, 32, 'sha256').toString('hex');
    computeMs = now() - started;
  } else {
    value = pbkdf2Sync('io', 'hotpot-salt', task.iterations, 32, 'sha256').toString('hex');
    computeMs = now() - started;
    Atomics.wait(nap, 0, 0, task.waitMs);
  }
  return { kind: task.kind, threadId: isMainThread ? 0 : threadId, started, ended: now(), computeMs, value };
}

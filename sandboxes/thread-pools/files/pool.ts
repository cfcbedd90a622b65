// The pool every route and experiment runs its tasks on.
import { Worker } from 'node:worker_threads';
import type { Result, Task } from './tasks.ts';

const WORKER = new URL('./worker.ts', import.meta.url);

/** Thrown by run() when the queue is full (step 4). */
export class QueueFull extends Error {}

export interface PoolOptions {
  /** How many tasks may wait for a thread (step 4). */
  maxQueue?: number;
}

export class Pool {
  readonly size: number;
  readonly maxQueue: number;
  #running = 0;

  constructor(size: number, options: PoolOptions = {}) {
    this.size = size;
    this.maxQueue = options.maxQueue ?? Infinity;
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return 0;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  // A new thread for every task, as the article's app did: start it, hand it the task,
  // take the answer, let the thread go. `size` is never used.
  run(task: Task): Promise<Result> {
    this.#running++;
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER);
      worker.once('message', (result: Result) => {
        resolve(result);
        void worker.terminate();
      });
      worker.once('error', reject);
      worker.once('exit', () => this.#running--);
      worker.postMessage(task);
    });
  }

  /** Ends the pool's threads. */
  async close(): Promise<void> {}
}

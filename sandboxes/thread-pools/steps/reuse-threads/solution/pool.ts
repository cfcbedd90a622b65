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

interface Job {
  task: Task;
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

export class Pool {
  readonly size: number;
  readonly maxQueue: number;
  #idle: Worker[] = [];
  #busy = new Map<Worker, Job>();
  #queue: Job[] = [];
  #closed = false;

  // `size` threads, started once. Each sleeps in its event loop until it is handed a task.
  constructor(size: number, options: PoolOptions = {}) {
    this.size = size;
    this.maxQueue = options.maxQueue ?? Infinity;
    for (let i = 0; i < size; i++) this.#start();
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#busy.size;
  }

  run(task: Task): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ task, resolve, reject });
      this.#dispatch();
    });
  }

  /** Ends the pool's threads. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the pool was closed'));
    await Promise.all([...this.#idle, ...this.#busy.keys()].map((w) => w.terminate()));
  }

  #start() {
    const worker = new Worker(WORKER);
    let started = false;
    worker.once('online', () => (started = true));
    worker.on('message', (result: Result) => {
      const job = this.#busy.get(worker);
      this.#busy.delete(worker);
      this.#idle.push(worker);
      job?.resolve(result);
      this.#dispatch();
    });
    // A thread that throws or dies fails its task and is replaced, so the pool keeps its size
    // (unless it never started: then a replacement would fail the same way, forever).
    worker.on('error', (error) => {
      this.#busy.get(worker)?.reject(error);
      this.#busy.delete(worker);
    });
    worker.on('exit', () => {
      this.#busy.get(worker)?.reject(new Error('the worker thread exited'));
      this.#busy.delete(worker);
      this.#idle = this.#idle.filter((w) => w !== worker);
      if (!this.#closed && started) this.#start();
      this.#dispatch();
    });
    this.#idle.push(worker);
  }

  // Hands waiting tasks to idle threads, first come first served.
  #dispatch() {
    while (this.#idle.length && this.#queue.length) {
      const worker = this.#idle.pop()!;
      const job = this.#queue.shift()!;
      this.#busy.set(worker, job);
      worker.postMessage(job.task);
    }
  }
}

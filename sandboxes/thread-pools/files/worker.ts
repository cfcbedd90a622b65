// What every thread of pool.ts runs: wait for a task, run it, answer, wait again.
// Between tasks the thread sleeps in its event loop and uses no CPU.
import { parentPort } from 'node:worker_threads';
import { runTask, type Task } from './tasks.ts';

parentPort!.on('message', (task: Task) => parentPort!.postMessage(runTask(task)));

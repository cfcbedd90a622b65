// The app's two pools: one for CPU-bound work, one for work that mostly waits. Every task
// they finish goes onto the page's occupancy chart.
import { record } from './feed.ts';
import { Pool } from './pool.ts';
import { workers } from './probe.ts';
import { CPU_POOL_SIZE, IO_POOL_SIZE, MAX_QUEUE } from './sizes.ts';
import { runTask, type Result, type Task } from './tasks.ts';

function watched(name: string, pool: Pool): Pool {
  const run = pool.run.bind(pool);
  pool.run = async (task: Task) => {
    if (workers.settled && !workers.ok) throw new Error(`this runtime cannot run worker threads: ${workers.why}`);
    const result = await run(task);
    record(name, result);
    return result;
  };
  return pool;
}

export const cpuPool = watched('cpu', new Pool(CPU_POOL_SIZE, { maxQueue: MAX_QUEUE }));
export const ioPool = watched('io', new Pool(IO_POOL_SIZE, { maxQueue: MAX_QUEUE }));

/** Runs a task right here, on the main thread, the one that also runs the event loop. */
export function onMainThread(task: Task): Result {
  const result = runTask(task);
  record('main', result);
  return result;
}

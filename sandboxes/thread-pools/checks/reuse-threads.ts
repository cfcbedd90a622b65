// Step 1: the CPU pool reuses its threads. The check runs 10, then 100 tiny tasks through it
// twice, and verifies every answer, that all ran on no more threads than the pool's size, and
// that a task costs less on the pool than on a thread started for it (10 of those, measured
// alongside).
import { createHash } from 'node:crypto';
import { call, check, Fail, log, ms, state } from './lib.ts';

interface Compared {
  tasks: number;
  fresh: number;
  newThread: { msPerTask: number };
  pool: { msPerTask: number; threads: number[]; results: { input: string; value: string; threadId: number }[] };
}

await check(85_000, async () => {
  const { pools } = await state();
  const size = pools.cpu.size;
  const threads = new Set<number>();
  let last: Compared | undefined;
  let ran = 0;
  // A first handful: a pool that starts a thread per task shows it at once (threads are slow
  // to start on a busy machine, so no need to wait for a hundred of them).
  for (const [round, n] of [[0, 10], [1, 100], [2, 100]] as const) {
    const seed = `check-${round}-${Math.random().toString(36).slice(2, 8)}`;
    const run = await call<Compared>(`/api/compare?n=${n}&fresh=10&piscina=0&seed=${seed}`, undefined, 80_000);
    for (const r of run.pool.results) {
      const expected = createHash('sha256').update(r.input).digest('hex');
      if (r.value !== expected)
        throw new Fail(`Task "${r.input}" came back with ${String(r.value).slice(0, 12)}…, not its own hash: does run() resolve each task with the answer its thread sent for it?`);
    }
    run.pool.threads.forEach((t) => threads.add(t));
    ran += run.tasks;
    log(`${n} tasks on the pool, answers correct, on thread(s) ${run.pool.threads.slice(0, 12).join(', ')}${run.pool.threads.length > 12 ? ', …' : ''}`);
    last = run;
    if (threads.size > size) break;
  }
  if (threads.size > size)
    throw new Fail(
      `The CPU pool (size ${size}) ran ${ran} tasks on ${threads.size} different threads: run() starts a new Worker for every task. Start ${size} workers once, in the constructor, and hand each task to an idle one, queueing it when none is idle.`,
    );
  const pooled = last!.pool.msPerTask;
  const fresh = last!.newThread.msPerTask;
  log(`per task: ${ms(pooled)} on the pool, ${ms(fresh)} on a new thread each (measured side by side)`);
  if (pooled > fresh / 2)
    throw new Fail(`A task took ${ms(pooled)} on the pool against ${ms(fresh)} on a thread of its own: the pool should cost far less per task. Does run() wait for something it need not, or start threads it does not keep?`);
  return `${ran} tasks, every answer right, on ${threads.size} thread(s) for a pool of ${size}; ${ms(pooled)} a task on the pool against ${ms(fresh)} with a new thread each (${(fresh / pooled).toFixed(0)}× less).`;
});

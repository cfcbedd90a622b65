// Stop and Start for the worker, the same in every step: the page's buttons (and step 4's
// check) publish "stop" or "start" on the broker channel "worker-control", and this process
// closes its Worker or makes a new one. You do not need to change it.
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { redis, scheduledTime, scheduleOf } from './queue.ts';

const paint = (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
const red = paint(31), green = paint(32), magenta = paint(35), dim = paint(2);
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);

export const CONTROL_CHANNEL = 'worker-control';

export function runControlled(make: (name: string) => Worker) {
  let generation = 0;
  let worker: Worker | undefined;

  const announce = (state: 'running' | 'stopped', name: string) =>
    redis.hset('worker', { state, name, since: Date.now() });

  async function start() {
    if (worker) return;
    generation += 1;
    const name = `worker #${generation}`;
    const w = make(name);
    worker = w;
    w.on('completed', (job) => {
      const late = (job.processedOn ?? Date.now()) - scheduledTime(job);
      console.log(green(`✓ ${scheduleOf(job)} due ${clock(scheduledTime(job))} ran on ${name}, started ${late} ms after it was due`));
    });
    w.on('failed', (job, err) => console.log(red(`✗ ${job ? `${scheduleOf(job)} (${job.id})` : 'a job'} failed: ${err.message}`)));
    w.on('stalled', (jobId) => console.log(magenta(`↺ ${jobId} stalled: its worker stopped renewing the lock; back to waiting`)));
    w.on('error', (err) => console.error(red(`${name}: ${err.message}`)));
    await w.waitUntilReady();
    await announce('running', name);
    console.log(`worker ready: ${name} takes jobs from "${w.name}" (concurrency ${w.opts.concurrency})`);
  }

  // Stop lets go of running jobs at once, without finishing them in the queue, as a process
  // that died would. Their code may still send its report; the queue never hears they ended.
  async function stop() {
    const w = worker;
    if (!w) return;
    worker = undefined;
    const name = w.opts.name ?? 'worker';
    await w.close(true);
    await announce('stopped', name);
    console.log(magenta(`■ ${name} stopped: no jobs are taken until Start`));
  }

  // One command at a time, in the order they came.
  let pending = Promise.resolve();
  const sub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  sub.on('error', (err) => console.error(`control channel: ${err.message}`));
  sub.on('message', (_channel, message) => {
    pending = pending
      .then(() => (message === 'stop' ? stop() : message === 'start' ? start() : console.log(dim(`ignored control message "${message}"`))))
      .catch((err) => console.error(red(`${message}: ${(err as Error).message}`)));
  });
  void sub.subscribe(CONTROL_CHANNEL).then(() => (pending = pending.then(start)));

  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      setTimeout(() => process.exit(1), 5000).unref();
      const name = worker?.opts.name ?? 'worker';
      void Promise.allSettled([worker?.close(), sub.quit()])
        .then(() => announce('stopped', name))
        .finally(() => void redis.quit().finally(() => process.exit(0)));
    });
}

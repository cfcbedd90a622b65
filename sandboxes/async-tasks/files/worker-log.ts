// The worker's terminal output, the same in every step: a coloured line for each thing that
// happens to a job, and "worker ready" (the workbench waits for that line). You do not need
// to change it: the part you edit is the processor in worker.ts.
import type { Job, Worker } from 'bullmq';
import { QUEUE_NAME, type WelcomeJob } from './queue.ts';

// Colours for the terminal, so starts, successes and failures stand out.
const paint = (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
const red = paint(31), green = paint(32), yellow = paint(33), magenta = paint(35);

// How many attempts a job may make: the "attempts" option of queue.add, 1 if not set.
const allowed = (job: Job) => Math.max(job.opts.attempts ?? 1, 1);

/** The first line of each run of a job: which attempt it is, and whether it was recovered. */
export function logStart(job: Job<WelcomeJob>) {
  const n = job.attemptsMade + 1;
  const attempt = n <= allowed(job) ? `attempt ${n} of ${allowed(job)}` : `run ${n}, started again after it finished`;
  const recovered = job.stalledCounter > 0 ? ', recovered after its worker died' : '';
  console.log(yellow(`▶ job ${job.id} started: welcome ${job.data.email} (${attempt}${recovered})`));
}

/** Logs how each job ends, then waits for the worker to connect and says it is ready. */
export async function logEvents(worker: Worker<WelcomeJob>) {
  worker.on('completed', (job) => console.log(green(`✓ job ${job.id} completed: ${job.data.email} welcomed`)));

  worker.on('failed', (job, err) => {
    if (!job) return console.log(red(`✗ a job failed: ${err.message}`));
    // By now attemptsMade counts this attempt too.
    const left = allowed(job) - job.attemptsMade;
    const next = left > 0 ? `will retry (${left} attempt${left > 1 ? 's' : ''} left)` : 'no attempts left: giving up';
    console.log(red(`✗ job ${job.id} failed (attempt ${job.attemptsMade} of ${allowed(job)}): ${err.message}; ${next}`));
  });

  // Emitted by whichever worker's check found the job abandoned.
  worker.on('stalled', (jobId) => console.log(magenta(`↺ job ${jobId} stalled: its worker stopped renewing the lock; back to waiting`)));

  worker.on('error', (err) => console.error(red(`worker error: ${err.message}`)));

  await worker.waitUntilReady();
  console.log(`worker ready: waiting for jobs on "${QUEUE_NAME}" (concurrency ${worker.opts.concurrency})`);
}

/** Asked to stop (Ctrl-C, a deploy)? Let running jobs finish first, then exit. */
export function closeOnSignal(worker: Worker) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      console.log(`${signal}: finishing running jobs, then exiting`);
      setTimeout(() => process.exit(1), 10_000).unref(); // a job that hangs must not keep us alive
      await worker.close();
      process.exit(0);
    });
  }
}

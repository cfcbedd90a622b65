// The consumer: takes welcome jobs off the queue and does the slow part, in its own process.
// Start more copies of this file (on more machines, even) and they share the work.
import { Worker, type Job } from 'bullmq';
import { connection, redis, QUEUE_NAME, type WelcomeJob } from './queue.ts';
import { welcomeEmail } from './email.ts';
import { sendEmail, subscribeToNewsletter } from './mailer.ts';

// Colours for the terminal, so starts, successes and failures stand out.
const paint = (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
const red = paint(31), green = paint(32), yellow = paint(33), magenta = paint(35);

// How many attempts a job may make: the "attempts" option of queue.add, 1 if not set.
const allowed = (job: Job) => Math.max(job.opts.attempts ?? 1, 1);

// The processor: BullMQ calls it once per job. Returning means "done"; throwing means
// "this attempt failed" (and BullMQ retries if the job asked for more attempts).
async function welcome(job: Job<WelcomeJob>) {
  const signup = job.data;
  const n = job.attemptsMade + 1;
  const attempt = n <= allowed(job) ? `attempt ${n} of ${allowed(job)}` : `run ${n}, started again after it finished`;
  const recovered = job.stalledCounter > 0 ? ', recovered after its worker died' : '';
  console.log(yellow(`▶ job ${job.id} started: welcome ${signup.email} (${attempt}${recovered})`));

  // A job can run more than once for the same sign-up (BullMQ delivers at least once: a
  // worker that dies after sending leaves the job to be run again). Sending is not safe to
  // repeat, so remember each sign-up we have welcomed, keyed on the sign-up id: a second job
  // for the same sign-up (a double click) has a new job id but the same sign-up id.
  const sentKey = `welcome-sent:${signup.signupId}`;
  if (await redis.exists(sentKey)) {
    console.log(`  sign-up ${signup.signupId} was already welcomed: skipping the email`);
  } else {
    await job.updateProgress({ stage: 'sending email' });
    await sendEmail(welcomeEmail(signup));
    // Mark it only after the mail server accepted it: if the send fails or the worker dies
    // mid-send, the next attempt still sends.
    await redis.set(sentKey, String(Date.now()));
  }

  await job.updateProgress({ stage: 'subscribing to newsletter' });
  await subscribeToNewsletter(signup.email);

  return { welcomed: signup.email };
}

const worker = new Worker<WelcomeJob>(QUEUE_NAME, welcome, {
  connection,
  // How many jobs this one process runs at the same time (Celery's -c). The work here is
  // waiting on a mail server, not computing, so one process can overlap a few.
  concurrency: 2,
  // While a job runs, the worker holds a lock on it and renews it every lockDuration / 2.
  // If the process dies (try Kill worker), nobody renews the lock; a stalled-job check,
  // which runs every stalledInterval, finds the job active but unlocked and puts it back in
  // the queue for the next worker. BullMQ's defaults are 30 s each, sensible in production;
  // 5 s and 3 s here let you watch a killed job come back within seconds.
  lockDuration: 5000,
  stalledInterval: 3000,
});

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

// Asked to stop (Ctrl-C, a deploy)? Let running jobs finish first, then exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    console.log(`${signal}: finishing running jobs, then exiting`);
    setTimeout(() => process.exit(1), 10_000).unref(); // a job that hangs must not keep us alive
    await worker.close();
    process.exit(0);
  });
}

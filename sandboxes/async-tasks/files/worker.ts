// The consumer: takes welcome jobs off the queue and does the slow part, in its own process.
// Start more copies of this file (on more machines, even) and they share the work.
// Its terminal output lives in worker-log.ts, the same in every step.
import { Worker, type Job } from 'bullmq';
import { connection, QUEUE_NAME, type WelcomeJob } from './queue.ts';
import { welcomeEmail } from './email.ts';
import { sendEmail, subscribeToNewsletter } from './mailer.ts';
import { closeOnSignal, logEvents, logStart } from './worker-log.ts';

// The processor: BullMQ calls it once per job. Returning means "done"; throwing means
// "this attempt failed" (and BullMQ retries if the job asked for more attempts).
async function welcome(job: Job<WelcomeJob>) {
  const signup = job.data;
  logStart(job);

  await job.updateProgress({ stage: 'sending email' });
  await sendEmail(welcomeEmail(signup));

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

await logEvents(worker); // each job's outcome, then "worker ready"
closeOnSignal(worker);   // Ctrl-C or a deploy: finish running jobs, then exit

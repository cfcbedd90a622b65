// The worker: runs every job the schedules produce, whichever app instance registered them.
// Like a Celery worker beside celery beat, it does not decide when anything is due: the
// broker does, and hands it jobs when their time comes.
import { Worker, type Job } from 'bullmq';
import { connection, QUEUE_NAME, redis, scheduledTime, scheduleOf, sendReport, sleep, workTime } from './queue.ts';
import { runControlled } from './worker-control.ts';

// The processor: compile the report (it takes a while), then send it to the boss's inbox.
async function report(job: Job) {
  const due = scheduledTime(job);
  const started = Date.now();
  await sleep(await workTime(job.name));

  // One report per firing. The firing is the job's name and the instant it was due, the same
  // for every run of it: a retry, or a job taken back from a worker that stopped. The first
  // run to get here claims the key; later runs find it taken and send nothing.
  const claimed = await redis.set(`sent:${job.name}:${due}`, String(job.id), 'PX', 7 * 24 * 3600_000, 'NX');
  if (!claimed) {
    console.log(`${job.name} due ${new Date(due).toISOString()} was already sent: skipping`);
    return;
  }
  await sendReport({
    schedule: scheduleOf(job),
    name: job.name,
    jobId: String(job.id),
    due,
    started,
    sent: Date.now(),
    worker: job.processedBy ?? 'worker',
    from: String(job.data?.from ?? '?'),
  });
}

// runControlled makes the Worker, and makes it again after the page's Stop and Start
// (each new one gets the next name: "worker #1", "worker #2", …).
runControlled((name) =>
  new Worker(QUEUE_NAME, report, {
    connection,
    name,
    // One job at a time: a run that outlasts its interval delays the next firing instead of
    // running beside it.
    concurrency: 1,
    // A job whose worker stopped mid-run stays "active" until its lock runs out and a
    // worker's stalled check takes it back: 30 s each by default. 5 s and 3 s here.
    lockDuration: 5000,
    stalledInterval: 3000,
  }),
);

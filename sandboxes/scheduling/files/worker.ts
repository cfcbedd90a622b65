// The worker: runs every job the schedules produce, whichever app instance registered them.
// Like a Celery worker beside celery beat, it does not decide when anything is due: the
// broker does, and hands it jobs when their time comes.
import { Worker, type Job } from 'bullmq';
import { connection, QUEUE_NAME, scheduledTime, scheduleOf, sendReport, sleep, workTime } from './queue.ts';
import { runControlled } from './worker-control.ts';

// The processor: compile the report (it takes a while), then send it to the boss's inbox.
async function report(job: Job) {
  const due = scheduledTime(job);
  const started = Date.now();
  await sleep(await workTime(job.name));
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
    // Up to 4 jobs at once in this process.
    concurrency: 4,
  }),
);

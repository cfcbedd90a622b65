// Everything that talks to the broker starts here: the app instances register schedules on
// the queue, the worker takes the jobs they produce, the page reads both.
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';

// The broker's address comes from the environment, as in production.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// BullMQ opens its own connections from these options.
export const connection = { url };

// A plain client for our own keys: the boss's inbox and the sandbox's settings.
export const redis = new Redis(url);
const warn = (err: Error) => console.error(`broker connection: ${err.message}`);
redis.on('error', warn);

// The queue every scheduled job goes through. Celery beat's schedule names a task; a
// BullMQ job scheduler names a queue, and a worker on that queue does the work.
export const QUEUE_NAME = 'reports';

export const queue = new Queue(QUEUE_NAME, {
  connection,
  defaultJobOptions: { removeOnComplete: 50, removeOnFail: 50 },
});
queue.on('error', warn);

/**
 * When this run of the job was due. A scheduler's jobs have deterministic ids,
 * "repeat:<scheduler id>:<due time in ms>", so every producer computes the same id for the
 * same firing. A plain job was due when it was added, plus its delay.
 */
export function scheduledTime(job: Job): number {
  if (job.repeatJobKey) {
    const due = Number(String(job.id).split(':').pop());
    if (Number.isFinite(due)) return due;
  }
  return job.timestamp + (job.opts.delay ?? 0);
}

/** Which schedule a job belongs to: its scheduler's id, or its name for a plain job. */
export const scheduleOf = (job: Job) => job.repeatJobKey ?? job.name;

/** One report as it lands in the boss's inbox (a list in the broker, newest last). */
export interface Report {
  /** The scheduler's id (or the job's name, for a job no scheduler produced). */
  schedule: string;
  /** The job's name: what kind of report it is. */
  name: string;
  jobId: string;
  /** When this firing was due (ms since 1970, UTC). */
  due: number;
  /** When a worker started it. */
  started: number;
  /** When it was sent. */
  sent: number;
  /** Which worker ran it ("worker #1", "worker #2" after a restart, …). */
  worker: string;
  /** The app instance whose registration the job came from. */
  from: string;
}

export const INBOX = 'inbox';

/** Sends a report: appends it to the boss's inbox. The effect a repeated job must not repeat. */
export async function sendReport(report: Report) {
  await redis.multi().rpush(INBOX, JSON.stringify(report)).ltrim(INBOX, -1000, -1).exec();
}

/**
 * How long compiling a report takes, in ms: the page's slider sets it per schedule (in the
 * broker's "settings" hash) so you can make a run outlast its interval.
 */
export async function workTime(schedule: string): Promise<number> {
  const ms = Number(await redis.hget('settings', `work-ms:${schedule}`));
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 60_000) : 300;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

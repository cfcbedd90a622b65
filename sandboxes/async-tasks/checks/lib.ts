// Shared by the checks. A check talks to the running sandbox like a user and an operator
// would: it signs up over HTTP, then reads the queue (BullMQ) and the mail server's outbox
// (Redis). It prints progress lines, then ONE last line, the reason the reader sees;
// it exits 0 on pass and 1 on fail, always within its own deadline.
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const web = `http://127.0.0.1:${process.env.PORT ?? 3000}`;

// Fail fast instead of queueing commands forever if the broker is gone.
export const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000 });
redis.on('error', () => {});
// The queue name the sandbox uses (queue.ts: QUEUE_NAME).
export const queue = new Queue('emails', { connection: { url, maxRetriesPerRequest: 1 } });
queue.on('error', () => {});

export interface Delivered {
  to: string;
  subject: string;
  text: string;
  sentAt: number;
  sentBy: string;
}

/** Thrown to fail the check with a reason for the reader. */
export class Fail extends Error {}

export const log = (line: string) => console.log(`  ${line}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A recipient no earlier run has used, so the greylisting mail server treats it as new. */
export function freshAddress(tag: string): string {
  return `check-${tag}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
}

/** POST signup as the page does. Resolves when the HTTP answer has arrived. */
export async function signUp(name: string, email: string) {
  let res: Response;
  try {
    res = await fetch(`${web}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ name, email }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new Fail(`The web server did not answer POST signup (${(err as Error).message}): is server.ts running?`);
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Fail(`POST signup answered ${res.status}${body.error ? `: ${body.error}` : ''}.`);
  return body;
}

/** Emails the mail server accepted for this address, oldest first. */
export async function outboxFor(address: string): Promise<Delivered[]> {
  const all = await redis.lrange('outbox', 0, -1);
  return all.map((e) => JSON.parse(e) as Delivered).filter((e) => e.to === address);
}

/** Polls until `probe` returns something truthy, or gives up after `ms` (undefined). */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, ms: number, every = 200) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(every);
  }
}

/** The job (any state) whose data names this email address. */
export async function findJob(address: string): Promise<Job | undefined> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'], 0, 200);
  return jobs.find((job) => job?.data?.email === address);
}

/** Waits for a job to finish, and returns it fresh with its final state. */
export async function finished(jobId: string, ms: number, after = 0) {
  return waitFor(async () => {
    const job = await Job.fromId(queue, jobId);
    if (!job || (job.finishedOn ?? 0) <= after) return undefined;
    const state = await job.getState();
    return state === 'completed' || state === 'failed' ? { job, state } : undefined;
  }, ms);
}

/**
 * Runs a check. `body` returns the pass reason, or throws Fail with the fail reason.
 * Whatever happens, the last line printed is the reason, connections are closed, and the
 * process exits before `deadlineMs`.
 */
export async function check(deadlineMs: number, body: () => Promise<string>) {
  const end = async (ok: boolean, reason: string) => {
    const closing = Promise.allSettled([queue.close(), redis.quit()]);
    await Promise.race([closing, sleep(1000)]);
    console.log(reason);
    process.exit(ok ? 0 : 1);
  };
  const timer = setTimeout(
    () => end(false, `The check ran out of time after ${deadlineMs / 1000} s: are the worker and the web server running?`),
    deadlineMs,
  );
  try {
    const reason = await body();
    clearTimeout(timer);
    await end(true, reason);
  } catch (err) {
    clearTimeout(timer);
    if (err instanceof Fail) await end(false, err.message);
    else await end(false, `The check could not run: ${(err as Error).message}`);
  }
}

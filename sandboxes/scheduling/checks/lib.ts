// Shared by the checks. A check measures the running sandbox as an operator would: it reads
// the job schedulers and jobs from the broker (BullMQ), the boss's inbox (a list in the
// broker), and uses the page's own API to stop and start the worker. It prints progress
// lines, then ONE last line, the reason the reader sees; it exits 0 on pass and 1 on fail,
// always within its own deadline.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const web = `http://127.0.0.1:${process.env.PORT ?? 3000}`;

export const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000 });
redis.on('error', () => {});
// The queue the sandbox uses (queue.ts: QUEUE_NAME).
export const queue = new Queue('reports', { connection: { url, maxRetriesPerRequest: 1 } });
queue.on('error', () => {});

export interface Report {
  schedule: string;
  name: string;
  jobId: string;
  due: number;
  started: number;
  sent: number;
  worker: string;
  from: string;
}

/** Thrown to fail the check with a reason for the reader. */
export class Fail extends Error {}

export const log = (line: string) => console.log(`  ${line}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** 09:41:05.123 UTC */
export const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 23)} UTC`;

/** Everything in the boss's inbox, oldest first. */
export async function inbox(): Promise<Report[]> {
  return (await redis.lrange('inbox', 0, -1)).map((r) => JSON.parse(r) as Report);
}

/** Reports per firing (job name and due instant), for the firings matching `keep`. */
export function perFiring(reports: Report[], keep: (r: Report) => boolean): Map<string, Report[]> {
  const firings = new Map<string, Report[]>();
  for (const r of reports.filter(keep)) {
    const key = `${r.name}@${r.due}`;
    firings.set(key, [...(firings.get(key) ?? []), r]);
  }
  return firings;
}

/** Polls until `probe` returns something truthy, or gives up after `ms` (undefined). */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, ms: number, every = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(every);
  }
}

/** Stop or Start, through the same API the page's buttons use. */
export async function control(action: 'stop' | 'start') {
  let res: Response;
  try {
    res = await fetch(`${web}/api/worker`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action }),
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new Fail(`The page's server did not answer (${(err as Error).message}): is the web process running?`);
  }
  if (!res.ok) throw new Fail(`Could not ${action} the worker: ${((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.status}.`);
  const state = action === 'stop' ? 'stopped' : 'running';
  const done = await waitFor(async () => (await redis.hget('worker', 'state')) === state, 10_000);
  if (!done) throw new Fail(`The worker did not report "${state}" within 10 s of "${action}": look at the worker terminal.`);
}

/** How long the sandbox's report jobs take (the page's slider), per job name; undefined = default. */
export async function setWorkTime(name: string, ms: number | undefined) {
  if (ms === undefined) await redis.hdel('settings', `work-ms:${name}`);
  else await redis.hset('settings', `work-ms:${name}`, String(ms));
}

/**
 * Runs a check. `body` returns the pass reason, or throws Fail with the fail reason.
 * Whatever happens, `cleanup` runs, the last line printed is the reason, connections are
 * closed, and the process exits before `deadlineMs`.
 */
export async function check(deadlineMs: number, body: () => Promise<string>, cleanup: () => Promise<unknown> = async () => {}) {
  const end = async (ok: boolean, reason: string) => {
    await Promise.race([cleanup().catch(() => {}), sleep(3000)]);
    await Promise.race([Promise.allSettled([queue.close(), redis.quit()]), sleep(1000)]);
    console.log(reason);
    process.exit(ok ? 0 : 1);
  };
  const timer = setTimeout(
    () => end(false, `The check ran out of time after ${deadlineMs / 1000} s: are the worker and both app instances running?`),
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

// Shared by the checks. A check measures the running app as a client would, over HTTP: the
// routes, and the figures the server reports about its pools. It prints progress lines, then
// ONE last line, the reason the reader sees; it exits 0 on pass and 1 on fail, always within
// its own deadline. Timings are compared with each other, measured side by side, never with
// a fixed number: the machine may be busy with other things.

export const web = `http://127.0.0.1:${process.env.PORT ?? 3000}`;

/** Thrown to fail the check with a reason for the reader. */
export class Fail extends Error {}

export const log = (line: string) => console.log(`  ${line}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

export interface Result {
  kind: string;
  threadId: number;
  started: number;
  ended: number;
  computeMs: number;
  value: string;
}

export interface PoolState {
  size: number;
  queued: number;
  running: number;
  peakQueued: number;
}

export interface State {
  cores: number;
  workers: { ok: boolean; why: string };
  maxQueue: number;
  pools: { cpu: PoolState; io: PoolState };
  served: { ok: number; rejected: number; failed: number };
  memory: { rss: number; heapUsed: number };
}

/** GET (or POST with a JSON body) on the app; the parsed JSON answer. */
export async function call<T>(path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${web}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new Fail(`The app did not answer ${path} (${(err as Error).message}): is the web process running? Look at its terminal.`);
  }
  const text = await res.text();
  if (!res.ok) throw new Fail(`${path} answered ${res.status}: ${text.slice(0, 200)}. Look at the web terminal.`);
  return JSON.parse(text) as T;
}

/** The server's figures; fails plainly when this runtime cannot start worker threads. */
export async function state(reset = false): Promise<State> {
  let s = await call<State>(`/api/state${reset ? '?reset=1' : ''}`);
  // On a busy machine the server's first worker thread can take a while to start.
  for (let i = 0; i < 120 && !s.workers.ok && s.workers.why.startsWith('still'); i++) {
    await sleep(500);
    s = await call<State>(`/api/state${reset ? '?reset=1' : ''}`);
  }
  if (!s.workers.ok) throw new Fail(`This runtime cannot run the pool: ${s.workers.why}. The lesson's text and pictures still stand; run the course locally (npm start) for the sandbox.`);
  return s;
}

/** The most intervals that overlap at one instant: how many tasks ran at once. */
export function peakOverlap(results: Pick<Result, 'started' | 'ended'>[]): number {
  const edges = results.flatMap((r) => [[r.started, 1], [r.ended, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d));
  return peak;
}

/**
 * Runs a check. `body` returns the pass reason, or throws Fail with the fail reason. Whatever
 * happens, the last line printed is the reason and the process exits before `deadlineMs`.
 */
export async function check(deadlineMs: number, body: () => Promise<string>) {
  const end = (ok: boolean, reason: string) => {
    console.log(reason);
    process.exit(ok ? 0 : 1);
  };
  const timer = setTimeout(() => end(false, `The check ran out of time after ${deadlineMs / 1000} s: is the web process running? Look at its terminal.`), deadlineMs);
  try {
    const reason = await body();
    clearTimeout(timer);
    end(true, reason);
  } catch (err) {
    clearTimeout(timer);
    end(false, err instanceof Fail ? err.message : `The check could not run: ${(err as Error).message}`);
  }
}

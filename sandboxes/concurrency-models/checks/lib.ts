// Shared by the checks. A check measures the running app as a client would: real HTTP
// requests on connections of their own, timed by the check and stamped by the server
// (x-served-by, x-started, x-ended). It judges relative behaviour (did requests overlap, did
// one wait for another, is one run faster than the other measured beside it), never a fixed
// number of milliseconds, so a busy machine slows both sides alike. It prints progress lines,
// then ONE last line, the reason the reader sees; exit 0 passes, 1 fails.
import { request } from 'node:http';

export const APP_PORT = Number(process.env.APP_PORT ?? 8000);
export const HOST = '127.0.0.1';

/** Thrown to fail the check with a reason for the reader. */
export class Fail extends Error {}

export const log = (line: string) => console.log(`  ${line}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Timed {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The check's clock (Date.now) when it sent the request and when the answer ended. */
  sent: number;
  received: number;
  /** The server's stamps: which process, when the handler started and ended. */
  pid: number;
  started: number;
  ended: number;
}

/** One GET on a connection of its own. Throws Fail if the app does not answer in time. */
export function get(path: string, { port = APP_PORT, timeoutMs = 30_000 } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const sent = Date.now();
    const req = request({ host: HOST, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          headers: res.headers,
          sent,
          received: Date.now(),
          pid: Number(res.headers['x-served-by']),
          started: Number(res.headers['x-started']),
          ended: Number(res.headers['x-ended']),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on('error', (err) => reject(new Fail(`GET ${path} failed (${err.message}): is the app running? Look at its terminal.`)));
    req.end();
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The most intervals [from, to] that contain one same instant. */
export function maxOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

/** What the app says about itself (server.ts: /_stats). */
export async function appStats(): Promise<{ pid: number; cores: number; clusterWorker?: boolean }> {
  const reply = await get('/_stats');
  if (reply.status !== 200) throw new Fail(`GET /_stats answered ${reply.status}: restore server.ts's /_stats route.`);
  return JSON.parse(reply.body) as { pid: number; cores: number; clusterWorker?: boolean };
}

/**
 * Runs a check. `body` returns the pass reason or throws Fail with the fail reason. Whatever
 * happens, `cleanup` runs, the last line printed is the reason, and the process exits before
 * `deadlineMs`.
 */
export async function check(deadlineMs: number, body: () => Promise<string>, cleanup: () => unknown = () => {}) {
  const end = (ok: boolean, reason: string) => {
    try {
      cleanup();
    } catch {}
    console.log(reason);
    process.exit(ok ? 0 : 1);
  };
  const timer = setTimeout(() => end(false, `The check ran out of time after ${deadlineMs / 1000} s: is the app running, and answering? Look at its terminal.`), deadlineMs);
  try {
    const reason = await body();
    clearTimeout(timer);
    end(true, reason);
  } catch (err) {
    clearTimeout(timer);
    end(false, err instanceof Fail ? err.message : `The check could not run: ${(err as Error).message}`);
  }
}

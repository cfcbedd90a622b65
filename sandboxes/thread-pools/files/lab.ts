// The page's experiments, run by the server on request: a thread per task against the pool
// (and piscina), libuv's pool on eight pbkdf2 calls, and pools of any size under a load
// whose wait/compute ratio the reader picks.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { COMPUTE_ITERATIONS, COMPUTE_MS } from './calibrate.ts';
import { Pool } from './pool.ts';
import { cpuPool } from './pools.ts';
import { CORES } from './sizes.ts';
import type { Result, Task } from './tasks.ts';

const WORKER = new URL('./worker.ts', import.meta.url);

/** Runs `count` tasks with at most `limit` at a time; the results in order. */
async function limited<T>(count: number, limit: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await run(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
  return out;
}

/** One task on a thread started for it alone, as the article's app did. */
function onNewThread(task: Task): Promise<Result> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER);
    worker.once('message', (r: Result) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.postMessage(task);
  });
}

let piscina: Piscina | undefined;

export interface Compared {
  tasks: number;
  concurrency: number;
  fresh: number;
  newThread: { msPerTask: number };
  pool: { msPerTask: number; threads: number[]; results: { input: string; value: string; threadId: number }[] };
  piscina: { msPerTask: number } | { error: string };
}

/**
 * The same tiny tasks three ways, as many at a time as the CPU pool has threads: `fresh` of
 * them on a new thread each, `n` on the CPU pool, and `n` on piscina (unless `withPiscina` is false).
 */
export async function compare(n: number, seed: string, fresh = n, withPiscina = true): Promise<Compared> {
  const concurrency = Math.max(1, cpuPool.size);
  const input = (i: number) => `${seed}-${i}`;
  const timed = async <T>(fn: () => Promise<T>) => {
    const t = performance.now();
    const value = await fn();
    return { value, msPerTask: (performance.now() - t) / n };
  };
  const timedFresh = async () => {
    const t = performance.now();
    await limited(fresh, concurrency, (i) => onNewThread({ kind: 'tiny', input: input(i) }));
    return { msPerTask: (performance.now() - t) / fresh };
  };
  const newThread = await timedFresh();
  const pooled = await timed(() => limited(n, concurrency, (i) => cpuPool.run({ kind: 'tiny', input: input(i) })));
  let viaPiscina: Compared['piscina'] = { error: 'not measured' };
  if (withPiscina) try {
    piscina ??= new Piscina({ filename: new URL('./piscina-worker.ts', import.meta.url).href, minThreads: concurrency, maxThreads: concurrency });
    viaPiscina = { msPerTask: (await timed(() => limited(n, concurrency, (i) => piscina!.run({ kind: 'tiny', input: input(i) }) as Promise<Result>))).msPerTask };
  } catch (err) {
    viaPiscina = { error: (err as Error).message };
  }
  return {
    tasks: n,
    fresh,
    concurrency,
    newThread: { msPerTask: newThread.msPerTask },
    pool: {
      msPerTask: pooled.msPerTask,
      threads: [...new Set(pooled.value.map((r) => r.threadId))].sort((a, b) => a - b),
      results: pooled.value.map((r, i) => ({ input: input(i), value: r.value, threadId: r.threadId })),
    },
    piscina: viaPiscina,
  };
}

export interface Measured {
  size: number;
  ratio: number;
  tasks: number;
  /** Tasks finished per second. */
  throughput: number;
  /** Submit-to-result time, 95th percentile, ms. */
  p95: number;
  /** The most tasks seen running at the same instant. */
  concurrency: number;
  /** Median computing time per task, ms. */
  computeMs: number;
}

/** The most intervals that overlap at one instant. */
export function peakOverlap(results: Pick<Result, 'started' | 'ended'>[]): number {
  const edges = results.flatMap((r) => [[r.started, 1], [r.ended, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d));
  return peak;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};

/** Keeps `pool` busy with tasks from `make` for `ms`, a queue's worth waiting beyond its threads. */
export async function saturate(pool: Pool, make: () => Task, ms: number, ratio = 0): Promise<Measured> {
  const inFlight = pool.size + Math.min(pool.size, 16);
  const results: Result[] = [];
  const latencies: number[] = [];
  const start = performance.now();
  const lane = async () => {
    while (performance.now() - start < ms) {
      const t = performance.now();
      results.push(await pool.run(make()));
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, inFlight) }, lane));
  const elapsed = performance.now() - start;
  return {
    size: pool.size,
    ratio,
    tasks: results.length,
    throughput: (results.length / elapsed) * 1000,
    p95: percentile(latencies, 95),
    concurrency: peakOverlap(results),
    computeMs: percentile(results.map((r) => r.computeMs), 50),
  };
}

/** A task of the sizing experiment: COMPUTE_MS of hashing, then ratio × that of waiting. */
export const experimentTask = (ratio: number): Task => ({ kind: 'io', iterations: COMPUTE_ITERATIONS, waitMs: COMPUTE_MS * ratio });

let busy: Promise<unknown> = Promise.resolve();
/** One experiment at a time, so two never share the cores they measure. */
export function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = busy.then(fn, fn);
  busy = run.catch(() => {});
  return run;
}

/** Waits until every thread of the pool has answered once (threads take a while to start). */
export const warm = (pool: Pool) => Promise.all(Array.from({ length: pool.size }, (_, i) => pool.run({ kind: 'tiny', input: `warm-${i}` })));

/** A pool of `size` threads (your Pool class), warmed up, measured for `ms`, then closed. */
export async function experiment(size: number, ratio: number, ms = 1200): Promise<Measured> {
  const pool = new Pool(size);
  try {
    await warm(pool);
    return await saturate(pool, () => experimentTask(ratio), ms, ratio);
  } finally {
    await pool.close();
  }
}

export interface LibuvRun {
  size: number;
  /** How long one call takes alone, ms. */
  aloneMs: number;
  /** Each of the eight calls: when it finished, ms after all eight were submitted together. */
  calls: { i: number; ended: number }[];
}

/** Eight concurrent crypto.pbkdf2 calls in a fresh process whose libuv pool has `size` threads. */
export function libuv(size: number): Promise<LibuvRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./libuv.ts', import.meta.url))], {
      env: { ...process.env, UV_THREADPOOL_SIZE: String(size) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve({ size, ...(JSON.parse(out) as Omit<LibuvRun, 'size'>) });
      } catch {
        reject(new Error(`libuv.ts exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`));
      }
    });
  });
}

/** sha256 of a tiny task's input, to check an answer. */
export const tinyDigest = (input: string) => createHash('sha256').update(input).digest('hex');

/** One GET /api/io on a connection of its own (no keep-alive to race with). */
function get(port: number): Promise<{ status: number; retryAfter: string | null }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/io', agent: false, timeout: 60_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null }));
      res.on('error', () => resolve({ status: 0, retryAfter: null }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, retryAfter: null }));
    req.end();
  });
}

export interface Flood {
  sent: number;
  ok: number;
  rejected: number;
  other: number;
  retryAfter: string | null;
}

/**
 * `total` io requests to this server, from this server, `clients` at a time: each client sends
 * its next request as soon as it has an answer, so the server always has `clients` requests in
 * hand. (A browser sends at most six at a time to one host, which is no flood.)
 */
export async function flood(port: number, clients: number, total: number): Promise<Flood> {
  const answers: { status: number; retryAfter: string | null }[] = [];
  let sent = 0;
  const client = async () => {
    while (sent < total) {
      sent++;
      answers.push(await get(port));
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const n = answers.length;
  const count = (s: number) => answers.filter((a) => a.status === s).length;
  return { sent: n, ok: count(200), rejected: count(503), other: n - count(200) - count(503), retryAfter: answers.find((a) => a.status === 503)?.retryAfter ?? null };
}

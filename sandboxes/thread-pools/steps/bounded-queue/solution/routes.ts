// The app's two kinds of request. Each answers with the task's result as JSON.
import type { ServerResponse } from 'node:http';
import { COMPUTE_ITERATIONS, COMPUTE_MS, HASH_ITERATIONS } from './calibrate.ts';
import { QueueFull } from './pool.ts';
import { cpuPool, ioPool } from './pools.ts';
import { WAIT_PER_COMPUTE } from './sizes.ts';

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

// A full queue is the server saying "not now": 503, and when to try again.
const busy = (res: ServerResponse) =>
  res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ error: 'busy, try again in a second' }));

/** POST /api/hash: hashes a password, about 60 ms of CPU, on a thread of the CPU pool. */
export async function hashRoute(password: string, res: ServerResponse) {
  try {
    json(res, 200, await cpuPool.run({ kind: 'hash', password, iterations: HASH_ITERATIONS }));
  } catch (err) {
    if (err instanceof QueueFull) return busy(res);
    throw err;
  }
}

/** GET /api/io: computes a little, then waits WAIT_PER_COMPUTE times as long. */
export async function ioRoute(res: ServerResponse) {
  try {
    json(res, 200, await ioPool.run({ kind: 'io', iterations: COMPUTE_ITERATIONS, waitMs: COMPUTE_MS * WAIT_PER_COMPUTE }));
  } catch (err) {
    if (err instanceof QueueFull) return busy(res);
    throw err;
  }
}

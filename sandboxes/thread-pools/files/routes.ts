// The app's two kinds of request. Each answers with the task's result as JSON.
import type { ServerResponse } from 'node:http';
import { COMPUTE_ITERATIONS, COMPUTE_MS, HASH_ITERATIONS } from './calibrate.ts';
import { ioPool, onMainThread } from './pools.ts';
import { WAIT_PER_COMPUTE } from './sizes.ts';

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

/** POST /api/hash: hashes a password, about 60 ms of CPU, here on the thread that runs the event loop. */
export async function hashRoute(password: string, res: ServerResponse) {
  const result = onMainThread({ kind: 'hash', password, iterations: HASH_ITERATIONS });
  json(res, 200, result);
}

/** GET /api/io: computes a little, then waits WAIT_PER_COMPUTE times as long. */
export async function ioRoute(res: ServerResponse) {
  const result = await ioPool.run({ kind: 'io', iterations: COMPUTE_ITERATIONS, waitMs: COMPUTE_MS * WAIT_PER_COMPUTE });
  json(res, 200, result);
}

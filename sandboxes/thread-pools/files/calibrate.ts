// How many pbkdf2 iterations make the tasks as long as the lesson says, on this machine:
// measured once at start-up, on an idle main thread.
import { pbkdf2Sync } from 'node:crypto';

function msFor(iterations: number): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    pbkdf2Sync('calibrate', 'hotpot-salt', iterations, 32, 'sha256');
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const perIteration = msFor(20_000) / 20_000;
const iterationsFor = (ms: number) => Math.max(1000, Math.round(ms / perIteration));

/** A password hash: about 60 ms of one core. */
export const HASH_ITERATIONS = iterationsFor(60);
/** The computing part of an io task and of the sizing experiment's tasks: about 5 ms. */
export const COMPUTE_MS = 5;
export const COMPUTE_ITERATIONS = iterationsFor(COMPUTE_MS);

// How many threads each pool gets, and how many tasks may wait for one.
import { availableParallelism } from 'node:os';

/** The cores this process may use (what the page and the experiment call "cores"). */
export const CORES = availableParallelism();

/** The io tasks of this app wait this many times as long as they compute. */
export const WAIT_PER_COMPUTE = 9;

/** Target CPU utilisation: 1 means every core busy. */
const UTILISATION = 1;

/** Threads for CPU-bound work: the password hashes. One per core: more only take turns. */
export const CPU_POOL_SIZE = CORES;

/** Threads for I/O-bound work: cores × utilisation × (1 + wait / compute). */
export const IO_POOL_SIZE = Math.round(CORES * UTILISATION * (1 + WAIT_PER_COMPUTE));

/** Tasks that may wait for a thread, per pool. */
export const MAX_QUEUE = 64;

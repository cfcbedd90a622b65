// How many threads each pool gets, and how many tasks may wait for one.
import { availableParallelism } from 'node:os';

/** The cores this process may use (what the page and the experiment call "cores"). */
export const CORES = availableParallelism();

/** The io tasks of this app wait this many times as long as they compute. */
export const WAIT_PER_COMPUTE = 9;

/** Threads for CPU-bound work: the password hashes. More threads, more hashes at once? */
export const CPU_POOL_SIZE = CORES * 8;

/** Threads for I/O-bound work: the io requests. One per core, like the CPU pool? */
export const IO_POOL_SIZE = CORES;

/** Tasks that may wait for a thread, per pool. */
export const MAX_QUEUE = 64;

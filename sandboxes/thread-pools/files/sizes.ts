// How many threads each pool gets, and how many tasks may wait for one.
import { availableParallelism } from 'node:os';

/** The cores this process may use (what the page and the experiment call "cores"). */
export const CORES = availableParallelism();

/** The io tasks of this app wait this many times as long as they compute. */
export const WAIT_PER_COMPUTE = 9;

/** Threads for CPU-bound work: the password hashes. */
export const CPU_POOL_SIZE = CORES;

/** Threads for I/O-bound work: the io requests. */
export const IO_POOL_SIZE = CORES;

/** Tasks that may wait for a thread, per pool. */
export const MAX_QUEUE = 64;

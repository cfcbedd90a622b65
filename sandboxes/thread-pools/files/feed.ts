// What the page's live view shows: every finished task as a bar on its thread's row, the
// queues, and how late the event loop runs (monitorEventLoopDelay), sampled four times a second.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Result } from './tasks.ts';

export interface Bar extends Result {
  pool: string;
}

const bars: Bar[] = [];
let seq = 0;

export function record(pool: string, result: Result): void {
  bars.push({ ...result, pool });
  seq++;
  if (bars.length > 2000) bars.splice(0, bars.length - 2000);
}

/** Bars recorded after `since` (a sequence number the caller got from the last call). */
export function barsSince(since: number): { seq: number; bars: Bar[] } {
  const fresh = Math.min(bars.length, Math.max(0, seq - since));
  return { seq, bars: fresh ? bars.slice(-fresh) : [] };
}

// How late a timer fires is how long the event loop was busy with something else.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

/** The event loop's delay since the last call, in milliseconds. */
export function loopDelay(): { p50: number; max: number } {
  const out = { p50: delay.percentile(50) / 1e6, max: delay.max / 1e6 };
  delay.reset();
  return out;
}

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

// How late a timer fires is how long the event loop was busy with something else. Sampled
// here, four times a second, for every viewer alike.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const samples: { seq: number; p50: number; max: number }[] = [];
let sampleSeq = 0;
setInterval(() => {
  samples.push({ seq: ++sampleSeq, p50: delay.percentile(50) / 1e6, max: delay.max / 1e6 });
  if (samples.length > 40) samples.shift();
  delay.reset();
}, 250).unref();

/** The event loop's delay over the samples after `since` (the caller's last seq), in milliseconds. */
export function loopDelay(since: number): { seq: number; p50: number; max: number } {
  const fresh = samples.filter((s) => s.seq > since);
  const last = samples.at(-1);
  if (!fresh.length) return { seq: last?.seq ?? 0, p50: last?.p50 ?? 0, max: last?.max ?? 0 };
  return { seq: fresh.at(-1)!.seq, p50: Math.max(...fresh.map((s) => s.p50)), max: Math.max(...fresh.map((s) => s.max)) };
}

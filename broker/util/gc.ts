// Garbage collections the broker asks V8 for, and when it asks for one to give memory back.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = (opts?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

/** V8's gc() (the --expose-gc extension), made available where the runtime allows it (Node: through V8 flags); looked up once. */
let found: GcFn | null | undefined;
function gcFunction(): GcFn | null {
  if (found !== undefined) return found;
  try {
    const g = (globalThis as { gc?: GcFn }).gc;
    if (g) return (found = g);
    v8.setFlagsFromString('--expose-gc');
    found = runInNewContext('gc') as GcFn;
  } catch {
    found = null;
  }
  return found;
}

/**
 * A full garbage collection now, if the runtime offers one. `reduceMemory`: V8's
 * last-resort collection (what it does under memory pressure), which also shrinks the young
 * generation back to its minimum and unmaps the pages it kept for reuse.
 */
export function fullGc(reduceMemory = false): boolean {
  const g = gcFunction();
  if (!g) return false;
  try {
    g(reduceMemory ? { type: 'major', execution: 'sync', flavor: 'last-resort' } : undefined);
    return true;
  } catch {
    return false;
  }
}

/** The process's resident memory, where the runtime tells it. */
export const residentBytes: (() => number) | null = typeof process.memoryUsage?.rss === 'function' ? () => process.memoryUsage.rss() : null;

/** Growth of RSS over its quiet level that makes a quiet broker give memory back. */
export const RECLAIM_GROWTH = 32 * 1024 * 1024;
/** How long the broker must have been quiet: client buffers nearly empty, at most a few commands (idle workers polling). */
const QUIET_MS = 2000;
const QUIET_BUFFER_BYTES = 1024 * 1024;
const QUIET_COMMANDS = 20;
/** Collections at most this often, whatever RSS does (data that keeps growing is not a burst). */
const MIN_INTERVAL_MS = 10_000;

/**
 * After a burst (a 100,000-command pipeline, subscribers dropped with 32 MB queued each) V8
 * keeps the young generation it grew (up to 32 MB) and the pages it freed, until its memory
 * reducer judges the process idle: that took from 15 s to minutes here, and an idle broker
 * may never trigger it. So once the broker has been quiet for 2 s (clients' buffers under 1 MB, at
 * most 20 commands) with its RSS 32 MB above its quiet level, it runs one memory-reducing
 * collection (a few hundred ms at most, once per burst, at most every 10 s), then takes the RSS
 * that follows as its new quiet level, so memory that stays (data the clients stored) costs no
 * second collection.
 */
export class Reclaimer {
  /** RSS at the first tick, then the lowest seen while quiet (Infinity: to be measured at the next quiet tick). */
  private floor = Infinity;
  private quietSince = -1;
  private commandsAtQuiet = 0;
  private lastCollection = -Infinity;
  private readonly rss: () => number;
  private readonly collect: () => boolean;
  private readonly report: (before: number, after: number) => void;

  constructor(rss: () => number, collect: () => boolean, report: (before: number, after: number) => void) {
    this.rss = rss;
    this.collect = collect;
    this.report = report;
  }

  /** Called every ~100 ms with the bytes queued for clients and the commands processed so far. */
  tick(now: number, buffered: number, commands: number): void {
    // The level to come back to is the broker's as it started (the Lua VM loaded, no clients).
    if (this.floor === Infinity && this.quietSince < 0 && this.lastCollection < 0) this.floor = this.rss();
    if (buffered > QUIET_BUFFER_BYTES || this.quietSince < 0 || commands - this.commandsAtQuiet > QUIET_COMMANDS) {
      this.quietSince = now;
      this.commandsAtQuiet = commands;
      return;
    }
    if (now - this.quietSince < QUIET_MS || now - this.lastCollection < MIN_INTERVAL_MS) return;
    const before = this.rss();
    if (before < this.floor + RECLAIM_GROWTH) {
      this.floor = Math.min(this.floor, before);
      return;
    }
    if (!this.collect()) {
      // Nothing to ask for: stop checking until RSS grows as much again.
      this.floor = before;
      return;
    }
    this.floor = Infinity;
    this.lastCollection = now;
    // Pages are unmapped by V8's helper threads just after the collection: report once they are.
    setTimeout(() => this.report(before, this.rss()), 500).unref?.();
  }
}

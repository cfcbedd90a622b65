// Every limit of a sandbox run in one place: its default, the CLI flag that overrides it,
// and the one line the reader sees when a sandbox hits it.
import { checkPath, findPathConflict } from './paths.ts';

const encoder = new TextEncoder();
/** A text's size in UTF-8 bytes, in a browser as in Node. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

export interface Limits {
  /** How long one run may last, in milliseconds. */
  runMs: number;
  /** Processes alive at once in a run's process trees. */
  processes: number;
  /** Terminal output per process per second, in bytes; the excess is dropped. */
  outputBytesPerSecond: number;
  /** One file sent by the reader, in bytes (UTF-8). */
  fileBytes: number;
  /** All files of one run together, in bytes (UTF-8). */
  totalBytes: number;
  /** Files in one run. */
  files: number;
  /** Runs at once on one runner. */
  runs: number;
  /** Memory of one run's processes together, in bytes. */
  memoryBytes: number;
}

export const KiB = 1024;
export const MiB = 1024 * KiB;

export const defaultLimits: Readonly<Limits> = Object.freeze({
  runMs: 30 * 60_000,
  processes: 32,
  outputBytesPerSecond: 256 * KiB,
  fileBytes: 512 * KiB,
  totalBytes: 4 * MiB,
  files: 300,
  runs: 4,
  memoryBytes: 1024 * MiB,
});

/** The CLI flag of each limit, in the unit a person types. */
export const limitFlags: ReadonlyArray<{ key: keyof Limits; flag: string; unit: number; help: string }> = [
  { key: 'runMs', flag: 'max-run-minutes', unit: 60_000, help: 'minutes one run may last' },
  { key: 'processes', flag: 'max-processes', unit: 1, help: 'processes alive at once in one run' },
  { key: 'outputBytesPerSecond', flag: 'max-output-kib', unit: KiB, help: 'KiB of terminal output per process per second' },
  { key: 'fileBytes', flag: 'max-file-kib', unit: KiB, help: 'KiB of one file sent by the reader' },
  { key: 'totalBytes', flag: 'max-files-total-kib', unit: KiB, help: 'KiB of all files of one run together' },
  { key: 'files', flag: 'max-files', unit: 1, help: 'files in one run' },
  { key: 'runs', flag: 'max-runs', unit: 1, help: 'runs at once on this runner' },
  { key: 'memoryBytes', flag: 'max-memory-mib', unit: MiB, help: 'MiB of memory one run may use' },
];

/** Limits from parsed CLI values (strings, as node:util parseArgs gives them); throws with a one-line message. */
export function limitsFromFlags(values: Record<string, unknown>): Limits {
  const limits: Limits = { ...defaultLimits };
  for (const { key, flag, unit } of limitFlags) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new Error(`--${flag} must be a positive number, not ${JSON.stringify(raw)}`);
    limits[key] = Math.max(1, Math.round(n * unit));
  }
  return limits;
}

export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const limits: Limits = { ...defaultLimits };
  for (const key of Object.keys(defaultLimits) as (keyof Limits)[]) {
    const v = overrides[key];
    if (v !== undefined) limits[key] = v;
  }
  return limits;
}

export function formatBytes(bytes: number): string {
  if (bytes < KiB) return `${bytes} bytes`;
  if (bytes < MiB) return `${+(bytes / KiB).toFixed(1)} KiB`;
  return `${+(bytes / MiB).toFixed(1)} MiB`;
}

export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) {
    const min = ms / 60_000;
    return min === 1 ? '1 minute' : `${min} minutes`;
  }
  const s = +(ms / 1000).toFixed(1);
  return s === 1 ? '1 second' : `${s} seconds`;
}

const YELLOW = '\x1b[0;33m';
const RESET = '\x1b[0m';

/** The line the reader sees for each limit. */
export const limitMessages = {
  runTime: (l: Limits) => `This run reached the time limit of ${formatDuration(l.runMs)} and was stopped. Press Run to start it again.`,
  /** The kernel refused a fork (cgroup pids.max): the count is the limit itself. */
  processesRefused: (l: Limits) =>
    `The sandbox tried to start more processes than its limit of ${l.processes} allows, and the system refused them, so the run was stopped. Look for code that starts processes in a loop.`,
  memory: (l: Limits, what: string) =>
    `The sandbox used more than its memory limit of ${formatBytes(l.memoryBytes)} (${what}), so the run was stopped. Look for code that keeps everything it reads or makes in memory.`,
  processes: (l: Limits, count: number) =>
    `The sandbox had ${count} processes running, more than the limit of ${l.processes}, so the run was stopped. Look for code that starts processes in a loop.`,
  /** Written into the terminal of the process whose output was dropped (yellow, one line). */
  outputDropped: (l: Limits, dropped: number) =>
    `\r\n${YELLOW}[hotpot] ${formatBytes(dropped)} of output dropped: this process printed more than ${formatBytes(l.outputBytesPerSecond)} per second.${RESET}\r\n`,
  fileTooLarge: (l: Limits, path: string, bytes: number) =>
    `${JSON.stringify(path)} is ${formatBytes(bytes)}; a file may be at most ${formatBytes(l.fileBytes)}.`,
  filesTooLarge: (l: Limits, bytes: number) =>
    `The files add up to ${formatBytes(bytes)}; together they may be at most ${formatBytes(l.totalBytes)}.`,
  /** One message to the runner over its cap (the files of a run travel in one). */
  messageTooLarge: (bytes: number, max: number) =>
    `The files sent to the runner came to ${formatBytes(bytes)}; one request may be at most ${formatBytes(max)}. Make a file smaller (or remove one) and press Run again.`,
  tooManyFiles: (l: Limits, count: number) => `${count} files were sent; a sandbox may have at most ${l.files}.`,
  tooManyRuns: (l: Limits) =>
    `${l.runs === 1 ? 'A sandbox is' : `${l.runs} sandboxes are`} already running on this runner, the most it runs at once. Stop one (or close its tab) and press Run again.`,
};

export interface FilesProblem {
  code: 'bad-path' | 'file-too-large' | 'too-many-files' | 'bad-message';
  message: string;
}

/**
 * Checks the reader's files (as received, before any schema) against the path rules and the
 * size limits. Returns the first problem, or null when every file may be written.
 */
export function checkFiles(files: unknown, limits: Limits): FilesProblem | null {
  if (typeof files !== 'object' || files === null || Array.isArray(files))
    return { code: 'bad-message', message: '"files" must be an object mapping file paths to their text' };
  const entries = Object.entries(files as Record<string, unknown>);
  if (entries.length > limits.files) return { code: 'too-many-files', message: limitMessages.tooManyFiles(limits, entries.length) };
  let total = 0;
  for (const [path, content] of entries) {
    const bad = checkPath(path);
    if (bad) return { code: 'bad-path', message: bad.message };
    if (typeof content !== 'string') return { code: 'bad-message', message: `files.${JSON.stringify(path)} must be the file's text (a string)` };
    const bytes = utf8Length(content);
    if (bytes > limits.fileBytes) return { code: 'file-too-large', message: limitMessages.fileTooLarge(limits, path, bytes) };
    total += bytes;
  }
  if (total > limits.totalBytes) return { code: 'file-too-large', message: limitMessages.filesTooLarge(limits, total) };
  const conflict = findPathConflict(entries.map(([p]) => p));
  if (conflict) return { code: 'bad-path', message: conflict.message };
  return null;
}

/**
 * Output budget of one process: a one-second window, opened by the first chunk after the
 * previous window ended. A chunk that does not fit in the window's budget is dropped whole;
 * the bytes dropped in a window are reported once that window is over.
 */
export class OutputLimiter {
  readonly bytesPerSecond: number;
  #windowStart = -Infinity;
  #used = 0;
  #dropped = 0;

  constructor(bytesPerSecond: number) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Whether to pass this chunk on; `report` is the bytes dropped in a window that just ended (0 if none). */
  take(bytes: number, now: number): { pass: boolean; report: number } {
    const report = this.flush(now);
    if (this.#windowStart === -Infinity) this.#windowStart = now;
    if (this.#used + bytes <= this.bytesPerSecond) {
      this.#used += bytes;
      return { pass: true, report };
    }
    this.#dropped += bytes;
    return { pass: false, report };
  }

  /** Ends the window if its second is over (or always, with force); returns the bytes it dropped. */
  flush(now: number, force = false): number {
    if (!force && now - this.#windowStart < 1000) return 0;
    const dropped = this.#dropped;
    this.#windowStart = -Infinity;
    this.#used = 0;
    this.#dropped = 0;
    return dropped;
  }

  /** Milliseconds until the current window ends (for a timer that reports drops when output stops). */
  remaining(now: number): number {
    return this.#windowStart === -Infinity ? 0 : Math.max(0, 1000 - (now - this.#windowStart));
  }

  get dropping(): boolean {
    return this.#dropped > 0;
  }
}

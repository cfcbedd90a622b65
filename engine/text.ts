// Terminal text helpers: ANSI escapes out for matching and for the one-line check reason.

// CSI sequences, OSC sequences (ended by BEL or ST), and two-character escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** The last line with something in it, ANSI escapes removed and trimmed; '' if none. */
export function lastNonEmptyLine(text: string): string {
  const lines = stripAnsi(text).split(/\r\n|\r|\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line) return line;
  }
  return '';
}

/** Keeps the last `max` characters of a growing text, noting when the start was cut. */
export class TailBuffer {
  readonly max: number;
  #text = '';
  #cut = false;
  constructor(max: number) {
    this.max = max;
  }
  push(text: string): void {
    this.#text += text;
    if (this.#text.length > this.max * 2) this.#trim();
  }
  #trim(): void {
    if (this.#text.length <= this.max) return;
    this.#text = this.#text.slice(this.#text.length - this.max);
    this.#cut = true;
  }
  /** The whole text if it fits, else "[… earlier output cut]" and its last `max` characters. */
  toString(): string {
    this.#trim();
    return this.#cut ? `[… earlier output cut]\n${this.#text}` : this.#text;
  }
  get raw(): string {
    return this.#text;
  }
}

/**
 * Splits streamed text into lines for "log" readiness probes: ANSI removed, CR/LF line ends,
 * the pending partial line offered too (a prompt may never end its line).
 */
export class LineSplitter {
  #partial = '';
  /** Feeds text; calls back with each complete line, then with the pending partial line if any. */
  feed(text: string, onLine: (line: string) => void): void {
    // ANSI is removed per line, after joining, so an escape split across chunks is still removed.
    const parts = (this.#partial + text).split(/\r\n|\n|\r/);
    this.#partial = parts.pop() ?? '';
    if (this.#partial.length > 64 * 1024) this.#partial = this.#partial.slice(-64 * 1024);
    for (const line of parts) onLine(stripAnsi(line));
    if (this.#partial) onLine(stripAnsi(this.#partial));
  }
  reset(): void {
    this.#partial = '';
  }
}

// Incremental RESP2 request parser, modelled on Redis's processMultibulkBuffer /
// processInlineBuffer (networking.c, 7.0).
//
// Input arrives as Buffers in arbitrary pieces. Every argument comes out as a
// "byte string": a JS string whose char codes are the raw bytes (latin1), so a
// value survives the trip byte for byte and is never decoded as UTF-8.
//
// Behaviour copied from Redis:
//  * a request starting with '*' is a multibulk; anything else is an inline
//    command split like sdssplitargs (quotes, \xHH escapes, unbalanced quotes
//    are a protocol error);
//  * '*<n>' with n <= 0 is skipped silently; each bulk must start with '$';
//  * the two bytes after a bulk's payload are skipped without being checked;
//  * the count lines are located with the first '\r' and parsed with the strict
//    string2ll (no '+', no leading zeros);
//  * errors are "Protocol error: ..." and the connection is then closed.

import { string2ll } from '../util/numbers.ts';

export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Redis allows 512 MB; a browser tab cannot, so we cap a single bulk lower. */
export const DEFAULT_MAX_BULK_LEN = 64 * 1024 * 1024;
/** Redis's multibulk count limit (INT_MAX). */
const MAX_MULTIBULK = 2147483647;
/** Bulk payloads at least this big are collected in a preallocated Buffer. */
const BIG_ARG = 32 * 1024;

export class ProtocolError extends Error {}

export interface ParserOptions {
  maxBulkLen?: number;
  /** Called with the limits Redis applies before authentication. */
  unauthenticated?: () => boolean;
}

const enum_ = {
  IDLE: 0,
  ARGS: 1, // inside a multibulk, waiting for the next '$' header
  BULK: 2, // waiting for `bulkLen` bytes of payload (+2)
} as const;

export class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private state: number = enum_.IDLE;
  private remaining = 0; // arguments still expected in the current multibulk
  private args: string[] = [];
  private bulkLen = 0;
  private big: Buffer | null = null; // preallocated target for a large payload
  private bigFill = 0;
  private maxBulkLen: number;
  private unauthenticated: () => boolean;
  /** Set when the last command was an inline one (Redis ignores empty inline lines). */
  inline = false;

  constructor(opts: ParserOptions = {}) {
    this.maxBulkLen = opts.maxBulkLen ?? DEFAULT_MAX_BULK_LEN;
    this.unauthenticated = opts.unauthenticated ?? (() => false);
  }

  setMaxBulkLen(n: number): void {
    this.maxBulkLen = n;
  }

  /** Bytes held but not yet turned into a command (Redis's qbuf). */
  get buffered(): number {
    return this.buf.length - this.pos + (this.big ? this.bigFill : 0);
  }

  feed(chunk: Buffer): void {
    if (this.big) {
      // Copy straight into the preallocated payload buffer.
      const need = this.bulkLen + 2 - this.bigFill;
      const take = Math.min(need, chunk.length);
      if (this.bigFill < this.bulkLen) {
        chunk.copy(this.big, this.bigFill, 0, Math.min(take, this.bulkLen - this.bigFill));
      }
      this.bigFill += take;
      chunk = chunk.subarray(take);
      if (this.bigFill >= this.bulkLen + 2) {
        this.args.push(this.big.toString('latin1', 0, this.bulkLen));
        this.big = null;
        this.bigFill = 0;
        this.remaining--;
        this.state = enum_.ARGS;
      }
      if (chunk.length === 0) return;
    }
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
  }

  /**
   * Returns the next complete command, `null` when more input is needed.
   * Throws ProtocolError for malformed input (the caller replies and closes).
   * Empty commands (`*0`, blank inline lines) are skipped.
   */
  next(): string[] | null {
    for (;;) {
      if (this.big) return null;
      if (this.state === enum_.IDLE) {
        if (this.pos >= this.buf.length) return null;
        if (this.buf[this.pos] === 0x2a /* '*' */) {
          const r = this.readMultibulkHeader();
          if (r === null) return null;
          if (r <= 0) continue;
          this.remaining = r;
          this.args = [];
          this.state = enum_.ARGS;
        } else {
          const cmd = this.readInline();
          if (cmd === null) return null;
          if (cmd.length === 0) continue;
          this.inline = true;
          return cmd;
        }
      }
      if (this.state === enum_.ARGS) {
        if (this.remaining === 0) {
          this.state = enum_.IDLE;
          const out = this.args;
          this.args = [];
          this.inline = false;
          return out;
        }
        if (this.pos >= this.buf.length) return null;
        const c = this.buf[this.pos]!;
        if (c !== 0x24 /* '$' */) {
          throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(c)}'`);
        }
        const cr = this.buf.indexOf(0x0d, this.pos);
        if (cr < 0) {
          if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError('Protocol error: too big bulk count string');
          return null;
        }
        if (cr + 1 >= this.buf.length) return null; // need the byte after '\r'
        const n = readCount(this.buf, this.pos + 1, cr);
        if (n === null || n < 0 || n > this.maxBulkLen) throw new ProtocolError('Protocol error: invalid bulk length');
        if (n > 16384 && this.unauthenticated()) throw new ProtocolError('Protocol error: unauthenticated bulk length');
        this.pos = cr + 2;
        this.bulkLen = n;
        this.state = enum_.BULK;
      }
      if (this.state === enum_.BULK) {
        const avail = this.buf.length - this.pos;
        if (avail >= this.bulkLen + 2) {
          this.args.push(this.buf.toString('latin1', this.pos, this.pos + this.bulkLen));
          this.pos += this.bulkLen + 2;
          this.remaining--;
          this.state = enum_.ARGS;
          continue;
        }
        if (this.bulkLen >= BIG_ARG) {
          // Switch to direct filling to avoid quadratic concatenation.
          this.big = Buffer.allocUnsafe(this.bulkLen);
          const take = Math.min(avail, this.bulkLen);
          this.buf.copy(this.big, 0, this.pos, this.pos + take);
          this.bigFill = avail; // may include one byte of the trailing CRLF
          this.pos = this.buf.length;
        }
        return null;
      }
    }
  }

  private readMultibulkHeader(): number | null {
    const cr = this.buf.indexOf(0x0d, this.pos);
    if (cr < 0) {
      if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError('Protocol error: too big mbulk count string');
      return null;
    }
    if (cr + 1 >= this.buf.length) return null;
    const n = readCount(this.buf, this.pos + 1, cr);
    if (n === null || n > MAX_MULTIBULK) throw new ProtocolError('Protocol error: invalid multibulk length');
    if (n > 10 && this.unauthenticated()) throw new ProtocolError('Protocol error: unauthenticated multibulk length');
    this.pos = cr + 2;
    return n;
  }

  private readInline(): string[] | null {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0) {
      if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError('Protocol error: too big inline request');
      return null;
    }
    let end = nl;
    if (end > this.pos && this.buf[end - 1] === 0x0d) end--;
    const line = this.buf.toString('latin1', this.pos, end);
    this.pos = nl + 1;
    const args = splitArgs(line);
    if (args === null) throw new ProtocolError('Protocol error: unbalanced quotes in request');
    return args;
  }
}

/**
 * A count line (buf[start, end)) under string2ll's rules. Every argument of every command has
 * one, so the usual case (a few plain digits) is read straight from the bytes, without making a
 * string and a BigInt; anything else (signs, leading zeros, huge values) goes to string2ll.
 * Out-of-range values come back as ±Infinity, which every limit check refuses.
 */
function readCount(buf: Buffer, start: number, end: number): number | null {
  const len = end - start;
  if (len >= 1 && len <= 15 && (len === 1 || buf[start] !== 0x30)) {
    let v = 0;
    let i = start;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
    }
    if (i === end) return v;
  }
  const b = string2ll(buf.toString('latin1', start, end));
  if (b === null) return null;
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) return Infinity;
  if (b < -BigInt(Number.MAX_SAFE_INTEGER)) return -Infinity;
  return Number(b);
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

/** sdssplitargs: returns null on unbalanced quotes. A NUL byte ends the line (C string). */
export function splitArgs(line: string): string[] | null {
  const z = line.indexOf('\0');
  if (z >= 0) line = line.slice(0, z);
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    let cur = '';
    while (!done) {
      const c = line[i];
      if (inq) {
        if (c === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i]!;
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else if (c === undefined) {
          return null;
        } else {
          cur += c;
        }
      } else if (insq) {
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else if (c === undefined) {
          return null;
        } else {
          cur += c;
        }
      } else {
        if (c === undefined || c === ' ' || c === '\n' || c === '\r' || c === '\t') done = true;
        else if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else cur += c;
      }
      if (i < n) i++;
    }
    out.push(cur);
  }
}

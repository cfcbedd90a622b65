// RESP2 encoder. Output is built as a byte string (latin1) and converted to a
// Buffer once per flush: V8 concatenates strings as ropes, which keeps
// pipelined replies cheap, and latin1 maps every char code to one byte.

import { ErrorReply, LazyArray, NULL_ARRAY, Sequence, Status, type Reply } from './reply.ts';

function clean(s: string): string {
  // Redis never lets CR/LF into a status or error line (they become spaces).
  return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0 ? s.replace(/[\r\n]/g, ' ') : s;
}

export function encode(r: Reply): string {
  if (typeof r === 'string') return '$' + r.length + '\r\n' + r + '\r\n';
  if (r === null) return '$-1\r\n';
  if (typeof r === 'number') return ':' + (Object.is(r, -0) ? 0 : r) + '\r\n';
  if (typeof r === 'bigint') return ':' + r.toString() + '\r\n';
  if (r instanceof Status) return '+' + clean(r.s) + '\r\n';
  if (r instanceof ErrorReply) return '-' + clean(r.msg) + '\r\n';
  if (r === NULL_ARRAY) return '*-1\r\n';
  if (r instanceof Sequence) return r.replies.map(encode).join('');
  if (r instanceof LazyArray) {
    let out = '*' + r.length + '\r\n';
    for (let n = r.items.next(); !n.done; n = r.items.next()) out += encode(n.value);
    return out;
  }
  let out = '*' + r.length + '\r\n';
  for (const x of r) out += encode(x);
  return out;
}

export function toBuffer(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Does this reply hold a LazyArray (itself, or an item of an array such as EXEC's)? */
export function isStreamed(r: Reply, depth = 0): boolean {
  if (r instanceof LazyArray) return true;
  if (!Array.isArray(r) || depth > 2) return false;
  for (const x of r) if (typeof x === 'object' && x !== null && isStreamed(x, depth + 1)) return true;
  return false;
}

/** RESP2 encoding in pieces of about `size` bytes, drawing LazyArray items only as needed. */
export function* encodeChunks(r: Reply, size = 16 * 1024): Generator<string> {
  let buf = '';
  function* walk(x: Reply): Generator<string> {
    if (x instanceof LazyArray) {
      buf += '*' + x.length + '\r\n';
      for (let n = x.items.next(); !n.done; n = x.items.next()) {
        const v = n.value;
        if (typeof v === 'string') buf += '$' + v.length + '\r\n' + v + '\r\n';
        else if (typeof v === 'object' && v !== null && isStreamed(v)) {
          yield* walk(v);
          continue;
        } else buf += encode(v);
        if (buf.length >= size) {
          const out = buf;
          buf = '';
          yield out;
        }
      }
      return;
    }
    if (Array.isArray(x) && isStreamed(x)) {
      buf += '*' + x.length + '\r\n';
      for (const y of x) yield* walk(y);
      return;
    }
    buf += encode(x);
    if (buf.length >= size) {
      const out = buf;
      buf = '';
      yield out;
    }
  }
  yield* walk(r);
  if (buf.length > 0) yield buf;
}

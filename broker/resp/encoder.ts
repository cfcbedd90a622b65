// RESP2 encoder. Output is built as a byte string (latin1) and converted to a
// Buffer once per flush: V8 concatenates strings as ropes, which keeps
// pipelined replies cheap, and latin1 maps every char code to one byte.

import { ErrorReply, NULL_ARRAY, Sequence, Status, type Reply } from './reply.ts';

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
  let out = '*' + r.length + '\r\n';
  for (const x of r) out += encode(x);
  return out;
}

export function toBuffer(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

// Helpers shared by the command families.

import { E, ErrorReply, LAZY_MIN, LazyArray, err, type Reply } from '../resp/reply.ts';
import { RHash, RList, RSet, Stream, ZSet } from '../store/types.ts';
import { parseDouble, parseLL, string2ll } from '../util/numbers.ts';
import type { Ctx } from './registry.ts';

type Ctor<T> = abstract new (...args: never[]) => T;

/** Read a key expecting a container type: the value, undefined, or WRONGTYPE. */
export function lookupTyped<T extends RHash | RList | RSet | ZSet | Stream>(ctx: Ctx, key: string, ctor: Ctor<T>, forWrite = false): T | undefined | ErrorReply {
  const v = forWrite ? ctx.db.getForWrite(key) : ctx.db.get(key);
  if (v === undefined) return undefined;
  if (!(v instanceof ctor)) return E.WRONGTYPE;
  return v as T;
}

export function lookupString(ctx: Ctx, key: string, forWrite = false): string | undefined | ErrorReply {
  const v = forWrite ? ctx.db.getForWrite(key) : ctx.db.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return E.WRONGTYPE;
  return v;
}

/** Get or create a container for writing. */
export function lookupOrCreate<T extends RHash | RList | RSet | ZSet | Stream>(ctx: Ctx, key: string, ctor: new () => T): T | ErrorReply {
  const v = ctx.db.getForWrite(key);
  if (v === undefined) {
    const created = new ctor();
    ctx.db.add(key, created);
    return created;
  }
  if (!(v instanceof ctor)) return E.WRONGTYPE;
  return v;
}

/** Integer argument as a JS number (int64 range; beyond 2^53 approximate). */
export function intArg(s: string): number | ErrorReply {
  const v = parseLL(s);
  return v === null ? E.NOT_INT : v;
}

/** Integer argument as BigInt (exact int64). */
export function bigintArg(s: string): bigint | ErrorReply {
  const v = string2ll(s);
  return v === null ? E.NOT_INT : v;
}

export function floatArg(s: string): number | ErrorReply {
  const v = parseDouble(s);
  return v === null ? E.NOT_FLOAT : v;
}

/** Case-insensitive option comparison (ASCII). */
export function eq(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b;
}

export function isErr(x: unknown): x is ErrorReply {
  return x instanceof ErrorReply;
}

/**
 * getTimeoutFromObjectOrReply: seconds as a (long) double rounded up to ms, or
 * integer milliseconds; returns an absolute deadline, 0 meaning forever.
 */
export function timeoutArg(ctx: Ctx, s: string, unit: 'seconds' | 'ms' = 'seconds'): number | ErrorReply {
  let ms: number;
  if (unit === 'seconds') {
    const v = parseDouble(s);
    if (v === null) return E.TIMEOUT_NOT_FLOAT;
    ms = Math.ceil(v * 1000);
    if (!Number.isFinite(ms)) return E.TIMEOUT_NOT_FLOAT;
    if (ms === 0) ms = 0; // -0
  } else {
    const v = parseLL(s);
    if (v === null) return err('ERR timeout is not an integer or out of range');
    ms = v;
  }
  if (ms < 0) return E.TIMEOUT_NEG;
  if (ms === 0) return 0;
  if (ms > 9223372036854775807 - ctx.ks.now()) return err('ERR timeout is out of range');
  return ctx.ks.now() + ms;
}

/**
 * getRangeLongFromObjectOrReply / getPositiveLongFromObjectOrReply: with a
 * message, both a non-integer and an out-of-range value reply that message.
 */
export function rangeArg(s: string, min: number, max: number, msg?: string): number | ErrorReply {
  const v = parseLL(s);
  if (v === null) return msg ? err('ERR ' + msg) : E.NOT_INT;
  if (v < min || v > max) return err('ERR ' + (msg ?? `value is out of range, must be between ${min} and ${max}`));
  return v;
}

export const LONG_MAX = 9223372036854775807;

export function positiveArg(s: string, msg = 'value is out of range, must be positive'): number | ErrorReply {
  return rangeArg(s, 0, LONG_MAX, msg);
}

/** Convert a Redis index (negative from the end) to [start, end] inclusive, or null if empty. */
export function clampRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

/**
 * SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with a negative count: `count` random picks with
 * repetition from a snapshot of the members (Redis builds the reply in one go, so later
 * writes do not show in it). Long replies stream (LazyArray) instead of being built whole.
 */
export function randomPicks<T>(pool: readonly T[], count: bigint, emit: (x: T) => Reply[]): Reply {
  const one = () => pool[Math.floor(Math.random() * pool.length)]!;
  if (count < BigInt(LAZY_MIN)) {
    const out: Reply[] = [];
    for (let i = 0; i < Number(count); i++) out.push(...emit(one()));
    return out;
  }
  const per = emit(pool[0]!).length;
  function* items(): Generator<Reply> {
    // Past 2^53 the loop never ends in practice (the client disconnects first).
    for (let left = count > 9007199254740991n ? Infinity : Number(count); left > 0; left--) {
      const e = emit(one());
      yield e[0]!;
      if (e.length > 1) yield e[1]!;
    }
  }
  return new LazyArray(count * BigInt(per), items());
}

/** The count of SRANDMEMBER/HRANDFIELD/ZRANDMEMBER (getRangeLongFromObjectOrReply, -LONG_MAX..LONG_MAX). */
export function randCountArg(s: string): bigint | ErrorReply {
  const v = string2ll(s);
  if (v === null) return E.NOT_INT;
  if (v < -9223372036854775807n) return err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  return v;
}

/** With WITHVALUES/WITHSCORES the reply is twice as long: Redis refuses |count| > LONG_MAX/2. */
export function randPairsInRange(count: bigint): ErrorReply | null {
  return count < -4611686018427387903n || count > 4611686018427387903n ? err('ERR value is out of range') : null;
}

// String commands (t_string.c).

import { E, OK, err, wrongArity, type Reply, ErrorReply } from '../resp/reply.ts';
import { formatLongDoubleHuman, ldAdd, ldIsFinite, parseLongDouble, string2ll } from '../util/numbers.ts';
import type { Ctx, Handler } from './registry.ts';
import { intArg, isErr, lookupString } from './util.ts';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

const F = {
  NX: 1,
  XX: 2,
  GET: 4,
  KEEPTTL: 8,
  PERSIST: 16,
  EX: 32,
  PX: 64,
  EXAT: 128,
  PXAT: 256,
} as const;

/** parseExtendedStringArgumentsOrReply, flag for flag. */
function parseExtended(argv: string[], isSet: boolean): { flags: number; expire: string | null } | ErrorReply {
  let flags = 0;
  let expire: string | null = null;
  const anyExpire = F.EX | F.PX | F.EXAT | F.PXAT;
  for (let j = isSet ? 3 : 2; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    const hasNext = j < argv.length - 1;
    if (opt === 'nx' && !(flags & F.XX) && isSet) flags |= F.NX;
    else if (opt === 'xx' && !(flags & F.NX) && isSet) flags |= F.XX;
    else if (opt === 'get' && isSet) flags |= F.GET;
    else if (opt === 'keepttl' && !(flags & F.PERSIST) && !(flags & anyExpire) && isSet) flags |= F.KEEPTTL;
    else if (opt === 'persist' && !isSet && !(flags & anyExpire) && !(flags & F.KEEPTTL)) flags |= F.PERSIST;
    else if (opt === 'ex' && !(flags & (F.KEEPTTL | F.PERSIST | F.EXAT | F.PX | F.PXAT)) && hasNext) {
      flags |= F.EX;
      expire = argv[++j]!;
    } else if (opt === 'px' && !(flags & (F.KEEPTTL | F.PERSIST | F.EX | F.EXAT | F.PXAT)) && hasNext) {
      flags |= F.PX;
      expire = argv[++j]!;
    } else if (opt === 'exat' && !(flags & (F.KEEPTTL | F.PERSIST | F.EX | F.PX | F.PXAT)) && hasNext) {
      flags |= F.EXAT;
      expire = argv[++j]!;
    } else if (opt === 'pxat' && !(flags & (F.KEEPTTL | F.PERSIST | F.EX | F.EXAT | F.PX)) && hasNext) {
      flags |= F.PXAT;
      expire = argv[++j]!;
    } else return E.SYNTAX;
  }
  return { flags, expire };
}

/** getExpireMillisecondsOrReply: absolute ms or an error. */
function expireMs(ctx: Ctx, s: string, flags: number): number | ErrorReply {
  const v = string2ll(s);
  if (v === null) return E.NOT_INT;
  const seconds = (flags & (F.EX | F.EXAT)) !== 0;
  const invalid = err(`ERR invalid expire time in '${ctx.spec.name}' command`);
  if (v <= 0n || (seconds && v > LLONG_MAX / 1000n)) return invalid;
  let ms = seconds ? v * 1000n : v;
  if (flags & (F.EX | F.PX)) ms += BigInt(ctx.ks.now());
  if (ms <= 0n || ms > LLONG_MAX) return invalid;
  return Number(ms);
}

function setGeneric(ctx: Ctx, flags: number, key: string, val: string, expire: string | null, okReply: Reply, abortReply: Reply): Reply {
  let ms = 0;
  if (expire !== null) {
    const m = expireMs(ctx, expire, flags);
    if (isErr(m)) return m;
    ms = m;
  }
  let getReply: Reply | undefined;
  if (flags & F.GET) {
    const old = lookupString(ctx, key);
    if (isErr(old)) return old;
    getReply = old ?? null;
  }
  const found = ctx.db.getForWrite(key) !== undefined;
  if ((flags & F.NX && found) || (flags & F.XX && !found)) return getReply !== undefined ? getReply : abortReply;
  ctx.db.set(key, val, (flags & F.KEEPTTL) !== 0 || expire !== null);
  if (!(flags & F.KEEPTTL) && expire === null) ctx.db.removeExpire(key);
  ctx.db.signalModified(key);
  ctx.ks.notify('set', key, ctx.db.id);
  if (expire !== null) {
    ctx.db.setExpire(key, ms);
    ctx.ks.notify('expire', key, ctx.db.id);
  }
  return getReply !== undefined ? getReply : okReply;
}

function get(ctx: Ctx, key: string): Reply {
  const v = lookupString(ctx, key);
  if (isErr(v)) return v;
  return v ?? null;
}

function checkLength(ctx: Ctx, total: number): ErrorReply | null {
  const max = Number(ctx.srv.config.get('proto-max-bulk-len'));
  if (total > max) return err('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
  return null;
}

function incrDecr(ctx: Ctx, key: string, incr: bigint): Reply {
  const o = lookupString(ctx, key, true);
  if (isErr(o)) return o;
  let value = 0n;
  if (o !== undefined) {
    const v = string2ll(o);
    if (v === null) return E.NOT_INT;
    value = v;
  }
  if ((incr < 0n && value < 0n && incr < LLONG_MIN - value) || (incr > 0n && value > 0n && incr > LLONG_MAX - value)) {
    return E.OVERFLOW;
  }
  value += incr;
  ctx.db.set(key, value.toString(), true);
  ctx.db.signalModified(key);
  ctx.ks.notify('incrby', key, ctx.db.id);
  return Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

function incrByFloat(ctx: Ctx, key: string, by: string): Reply {
  const o = lookupString(ctx, key, true);
  if (isErr(o)) return o;
  const value = o === undefined ? parseLongDouble('0') : parseLongDouble(o);
  if (value === null) return E.NOT_FLOAT;
  const incr = parseLongDouble(by);
  if (incr === null) return E.NOT_FLOAT;
  const sum = ldAdd(value, incr);
  if (!ldIsFinite(sum)) return err('ERR increment would produce NaN or Infinity');
  const s = formatLongDoubleHuman(sum);
  ctx.db.set(key, s, true);
  ctx.db.signalModified(key);
  ctx.ks.notify('incrbyfloat', key, ctx.db.id);
  return s;
}

export const commands: Record<string, Handler> = {
  get: (ctx, argv) => get(ctx, argv[1]!),
  set: (ctx, argv) => {
    const p = parseExtended(argv, true);
    if (isErr(p)) return p;
    return setGeneric(ctx, p.flags, argv[1]!, argv[2]!, p.expire, OK, null);
  },
  setnx: (ctx, argv) => setGeneric(ctx, F.NX, argv[1]!, argv[2]!, null, 1, 0),
  setex: (ctx, argv) => setGeneric(ctx, F.EX, argv[1]!, argv[3]!, argv[2]!, OK, null),
  psetex: (ctx, argv) => setGeneric(ctx, F.PX, argv[1]!, argv[3]!, argv[2]!, OK, null),
  getset: (ctx, argv) => setGeneric(ctx, F.GET, argv[1]!, argv[2]!, null, OK, null),
  getdel: (ctx, argv) => {
    const key = argv[1]!;
    const v = lookupString(ctx, key);
    if (isErr(v)) return v;
    if (v === undefined) return null;
    ctx.db.deleteKey(key);
    ctx.db.signalModified(key);
    ctx.ks.notify('del', key, ctx.db.id);
    return v;
  },
  getex: (ctx, argv) => {
    const p = parseExtended(argv, false);
    if (isErr(p)) return p;
    const key = argv[1]!;
    const v = lookupString(ctx, key);
    if (isErr(v)) return v;
    if (v === undefined) return null;
    let ms = 0;
    if (p.expire !== null) {
      const m = expireMs(ctx, p.expire, p.flags);
      if (isErr(m)) return m;
      ms = m;
    }
    if (p.flags & (F.PXAT | F.EXAT) && ms <= ctx.ks.now()) {
      ctx.db.deleteKey(key);
      ctx.db.signalModified(key);
      ctx.ks.notify('del', key, ctx.db.id);
    } else if (p.expire !== null) {
      ctx.db.setExpire(key, ms);
      ctx.db.signalModified(key);
      ctx.ks.notify('expire', key, ctx.db.id);
    } else if (p.flags & F.PERSIST) {
      if (ctx.db.removeExpire(key)) {
        ctx.db.signalModified(key);
        ctx.ks.notify('persist', key, ctx.db.id);
      }
    }
    return v;
  },
  mget: (ctx, argv) => {
    const out: Reply[] = [];
    for (let i = 1; i < argv.length; i++) {
      const v = ctx.db.get(argv[i]!);
      out.push(typeof v === 'string' ? v : null);
    }
    return out;
  },
  mset: (ctx, argv) => {
    if (argv.length % 2 === 0) return wrongArity('mset');
    for (let i = 1; i < argv.length; i += 2) {
      ctx.db.set(argv[i]!, argv[i + 1]!);
      ctx.db.signalModified(argv[i]!);
      ctx.ks.notify('set', argv[i]!, ctx.db.id);
    }
    return OK;
  },
  msetnx: (ctx, argv) => {
    if (argv.length % 2 === 0) return wrongArity('msetnx');
    for (let i = 1; i < argv.length; i += 2) if (ctx.db.getForWrite(argv[i]!) !== undefined) return 0;
    for (let i = 1; i < argv.length; i += 2) {
      ctx.db.set(argv[i]!, argv[i + 1]!);
      ctx.db.signalModified(argv[i]!);
      ctx.ks.notify('set', argv[i]!, ctx.db.id);
    }
    return 1;
  },
  incr: (ctx, argv) => incrDecr(ctx, argv[1]!, 1n),
  decr: (ctx, argv) => incrDecr(ctx, argv[1]!, -1n),
  incrby: (ctx, argv) => {
    const by = string2ll(argv[2]!);
    if (by === null) return E.NOT_INT;
    return incrDecr(ctx, argv[1]!, by);
  },
  decrby: (ctx, argv) => {
    const by = string2ll(argv[2]!);
    if (by === null) return E.NOT_INT;
    if (by === LLONG_MIN) return err('ERR decrement would overflow');
    return incrDecr(ctx, argv[1]!, -by);
  },
  incrbyfloat: (ctx, argv) => incrByFloat(ctx, argv[1]!, argv[2]!),
  append: (ctx, argv) => {
    const key = argv[1]!;
    const o = lookupString(ctx, key, true);
    if (isErr(o)) return o;
    let nv: string;
    if (o === undefined) {
      nv = argv[2]!;
      ctx.db.set(key, nv);
    } else {
      const e = checkLength(ctx, o.length + argv[2]!.length);
      if (e) return e;
      nv = o + argv[2]!;
      ctx.db.set(key, nv, true);
    }
    ctx.db.signalModified(key);
    ctx.ks.notify('append', key, ctx.db.id);
    return nv.length;
  },
  strlen: (ctx, argv) => {
    const v = lookupString(ctx, argv[1]!);
    if (isErr(v)) return v;
    return v === undefined ? 0 : v.length;
  },
  getrange: getrange,
  substr: getrange,
  setrange: (ctx, argv) => {
    const key = argv[1]!;
    const offset = intArg(argv[2]!);
    if (isErr(offset)) return offset;
    if (offset < 0) return err('ERR offset is out of range');
    const value = argv[3]!;
    const o = lookupString(ctx, key, true);
    if (isErr(o)) return o;
    if (o === undefined && value.length === 0) return 0;
    if (o !== undefined && value.length === 0) return o.length;
    const e = checkLength(ctx, offset + value.length);
    if (e) return e;
    let cur = o ?? '';
    if (cur.length < offset) cur += '\0'.repeat(offset - cur.length);
    const nv = cur.slice(0, offset) + value + cur.slice(offset + value.length);
    ctx.db.set(key, nv, true);
    ctx.db.signalModified(key);
    ctx.ks.notify('setrange', key, ctx.db.id);
    return nv.length;
  },
};

function getrange(ctx: Ctx, argv: string[]): Reply {
  let start = intArg(argv[2]!);
  if (isErr(start)) return start;
  let end = intArg(argv[3]!);
  if (isErr(end)) return end;
  const v = lookupString(ctx, argv[1]!);
  if (isErr(v)) return v;
  if (v === undefined) return '';
  const len = v.length;
  if (start < 0 && end < 0 && start > end) return '';
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return '';
  return v.slice(start, end + 1);
}

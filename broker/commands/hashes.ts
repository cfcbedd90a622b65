// Hash commands (t_hash.c).

import { E, OK, err, wrongArity, type Reply } from '../resp/reply.ts';
import { RHash } from '../store/types.ts';
import { formatLongDoubleHuman, ldAdd, ldIsFinite, parseLongDouble, string2ll } from '../util/numbers.ts';
import type { Ctx, Handler } from './registry.ts';
import { matches, parseCursor, parseScanArgs, scanStep } from './scan.ts';
import { isErr, lookupOrCreate, lookupTyped, randCountArg, randPairsInRange, randomPicks } from './util.ts';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** Redis keeps small hashes as listpacks: one SCAN call returns them whole. */
export function hashIsListpack(h: RHash): boolean {
  if (h.size > 512) return false;
  for (const [f, v] of h.entries()) if (f.length > 64 || v.length > 64) return false;
  return true;
}

function hset(ctx: Ctx, argv: string[], name: string, reply: 'count' | 'ok'): Reply {
  if (argv.length % 2 === 1) return wrongArity(name);
  const key = argv[1]!;
  const h = lookupOrCreate(ctx, key, RHash);
  if (isErr(h)) return h;
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(argv[i]!, argv[i + 1]!)) created++;
  ctx.db.signalModified(key);
  ctx.ks.notify('hset', key, ctx.db.id);
  return reply === 'ok' ? OK : created;
}

function randomFields(h: RHash, count: number, withValues: boolean): Reply {
  const entries = [...h.entries()];
  const out: string[] = [];
  if (count >= 0) {
    const n = Math.min(count, entries.length);
    // Partial Fisher-Yates.
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(Math.random() * (entries.length - i));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      out.push(entries[i]![0]);
      if (withValues) out.push(entries[i]![1]);
    }
  } else {
    for (let i = 0; i < -count; i++) {
      const e = entries[Math.floor(Math.random() * entries.length)]!;
      out.push(e[0]);
      if (withValues) out.push(e[1]);
    }
  }
  return out;
}

export const commands: Record<string, Handler> = {
  hset: (ctx, argv) => hset(ctx, argv, 'hset', 'count'),
  hmset: (ctx, argv) => hset(ctx, argv, 'hmset', 'ok'),
  hsetnx: (ctx, argv) => {
    const key = argv[1]!;
    const h = lookupOrCreate(ctx, key, RHash);
    if (isErr(h)) return h;
    if (h.has(argv[2]!)) return 0;
    h.set(argv[2]!, argv[3]!);
    ctx.db.signalModified(key);
    ctx.ks.notify('hset', key, ctx.db.id);
    return 1;
  },
  hget: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    return h?.get(argv[2]!) ?? null;
  },
  hmget: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    const out: Reply[] = [];
    for (let i = 2; i < argv.length; i++) out.push(h?.get(argv[i]!) ?? null);
    return out;
  },
  hdel: (ctx, argv) => {
    const key = argv[1]!;
    const h = lookupTyped(ctx, key, RHash, true);
    if (isErr(h)) return h;
    if (!h) return 0;
    let n = 0;
    let removedKey = false;
    for (let i = 2; i < argv.length; i++) {
      if (h.delete(argv[i]!)) {
        n++;
        if (h.size === 0) {
          ctx.db.deleteKey(key);
          removedKey = true;
          break;
        }
      }
    }
    if (n > 0) {
      ctx.db.signalModified(key);
      ctx.ks.notify('hdel', key, ctx.db.id);
      if (removedKey) ctx.ks.notify('del', key, ctx.db.id);
    }
    return n;
  },
  hlen: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    return h ? h.size : 0;
  },
  hstrlen: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    return h?.get(argv[2]!)?.length ?? 0;
  },
  hexists: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    return h?.has(argv[2]!) ? 1 : 0;
  },
  hgetall: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    if (!h) return [];
    const out: string[] = [];
    for (const [f, v] of h.entries()) out.push(f, v);
    return out;
  },
  hkeys: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    return h ? [...h.fields()] : [];
  },
  hvals: (ctx, argv) => {
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    return h ? [...h.values()] : [];
  },
  hincrby: (ctx, argv) => {
    const incr = string2ll(argv[3]!);
    if (incr === null) return E.NOT_INT;
    const key = argv[1]!;
    const h = lookupOrCreate(ctx, key, RHash);
    if (isErr(h)) return h;
    const cur = h.get(argv[2]!);
    let value = 0n;
    if (cur !== undefined) {
      const v = string2ll(cur);
      if (v === null) return err('ERR hash value is not an integer');
      value = v;
    }
    if ((incr < 0n && value < 0n && incr < LLONG_MIN - value) || (incr > 0n && value > 0n && incr > LLONG_MAX - value)) {
      return E.OVERFLOW;
    }
    value += incr;
    h.set(argv[2]!, value.toString());
    ctx.db.signalModified(key);
    ctx.ks.notify('hincrby', key, ctx.db.id);
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  },
  hincrbyfloat: (ctx, argv) => {
    const incr = parseLongDouble(argv[3]!);
    if (incr === null) return E.NOT_FLOAT;
    if (!ldIsFinite(incr)) return err('ERR value is NaN or Infinity');
    const key = argv[1]!;
    const h = lookupOrCreate(ctx, key, RHash);
    if (isErr(h)) return h;
    const cur = h.get(argv[2]!);
    let value = parseLongDouble('0')!;
    if (cur !== undefined) {
      const v = parseLongDouble(cur);
      if (v === null) return err('ERR hash value is not a float');
      value = v;
    }
    const sum = ldAdd(value, incr);
    if (!ldIsFinite(sum)) return err('ERR increment would produce NaN or Infinity');
    const s = formatLongDoubleHuman(sum);
    h.set(argv[2]!, s);
    ctx.db.signalModified(key);
    ctx.ks.notify('hincrbyfloat', key, ctx.db.id);
    return s;
  },
  hrandfield: (ctx, argv) => {
    let count: number | null = null;
    let withValues = false;
    let big = 0n;
    if (argv.length >= 3) {
      const c = randCountArg(argv[2]!);
      if (isErr(c)) return c;
      if (argv.length === 4) {
        if (argv[3]!.toLowerCase() !== 'withvalues') return E.SYNTAX;
        withValues = true;
        const range = randPairsInRange(c);
        if (range) return range;
      } else if (argv.length > 4) return E.SYNTAX;
      count = Number(c);
      big = c;
    }
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    if (h && big < 0n) return randomPicks([...h.entries()], -big, withValues ? (e) => [e[0], e[1]] : (e) => [e[0]]);
    if (count === null) {
      if (!h) return null;
      const keys = [...h.fields()];
      return keys[Math.floor(Math.random() * keys.length)]!;
    }
    if (!h || count === 0) return [];
    return randomFields(h, count, withValues);
  },
  hscan: (ctx, argv) => {
    const cur = parseCursor(argv[2]!);
    if (isErr(cur)) return cur;
    const h = lookupTyped(ctx, argv[1]!, RHash);
    if (isErr(h)) return h;
    if (!h) return ['0', []];
    const o = parseScanArgs(argv, 2, false);
    if (isErr(o)) return o;
    const out: string[] = [];
    if (hashIsListpack(h)) {
      for (const [f, v] of h.entries()) if (matches(o.match, f)) out.push(f, v);
      return ['0', out];
    }
    const { next, names } = scanStep(h.fields(), o.cursor, o.count);
    for (const f of names) {
      const v = h.get(f);
      if (v !== undefined && matches(o.match, f)) out.push(f, v);
    }
    return [String(next), out];
  },
};

// Set commands (t_set.c).

import { E, type Reply } from '../resp/reply.ts';
import { RSet } from '../store/types.ts';
import { string2ll } from '../util/numbers.ts';
import type { Ctx, Handler } from './registry.ts';
import { matches, parseCursor, parseScanArgs, scanStep } from './scan.ts';
import { LONG_MAX, isErr, lookupOrCreate, lookupTyped, positiveArg, randCountArg, randomPicks, rangeArg } from './util.ts';

/** Build a result set the way Redis does (an intset while possible) and list it. */
function resultMembers(members: Iterable<string>): string[] {
  const tmp = new RSet();
  for (const m of members) tmp.add(m);
  return tmp.members();
}

function loadSets(ctx: Ctx, keys: string[], write: boolean): (RSet | undefined)[] | Reply {
  const sets: (RSet | undefined)[] = [];
  for (const k of keys) {
    const s = lookupTyped(ctx, k, RSet, write);
    if (isErr(s)) return s;
    sets.push(s);
  }
  return sets;
}

function inter(sets: (RSet | undefined)[]): string[] {
  if (sets.some((s) => !s)) return [];
  const sorted = [...(sets as RSet[])].sort((a, b) => a.size - b.size);
  const out: string[] = [];
  for (const m of sorted[0]!.members()) {
    if (sorted.every((s) => s.has(m))) out.push(m);
  }
  return out;
}

function union(sets: (RSet | undefined)[]): string[] {
  const out = new Set<string>();
  for (const s of sets) if (s) for (const m of s.s) out.add(m);
  return resultMembers(out);
}

function diff(sets: (RSet | undefined)[]): string[] {
  const first = sets[0];
  if (!first) return [];
  const out: string[] = [];
  for (const m of first.s) if (!sets.slice(1).some((s) => s?.has(m))) out.push(m);
  return resultMembers(out);
}

/** Store a computed set in dst (deleting dst when empty), reply its size. */
function store(ctx: Ctx, dst: string, members: string[], event: string): Reply {
  if (members.length > 0) {
    const s = new RSet();
    for (const m of members) s.add(m);
    ctx.db.set(dst, s);
    ctx.db.signalModified(dst);
    ctx.ks.notify(event, dst, ctx.db.id);
  } else if (ctx.db.deleteKey(dst)) {
    ctx.db.signalModified(dst);
    ctx.ks.notify('del', dst, ctx.db.id);
  }
  return members.length;
}

function algebra(op: (s: (RSet | undefined)[]) => string[], storeMode: boolean, event = ''): Handler {
  return (ctx, argv) => {
    const keys = storeMode ? argv.slice(2) : argv.slice(1);
    const sets = loadSets(ctx, keys, storeMode);
    if (!Array.isArray(sets)) return sets;
    const members = op(sets as (RSet | undefined)[]);
    if (storeMode) return store(ctx, argv[1]!, members, event);
    return members;
  };
}

function popOrRandom(ctx: Ctx, argv: string[], pop: boolean): Reply {
  const key = argv[1]!;
  if (argv.length > 3) return E.SYNTAX;
  if (argv.length === 3) {
    let count: number;
    if (pop) {
      const c = positiveArg(argv[2]!);
      if (isErr(c)) return c;
      count = c;
    } else {
      const c = randCountArg(argv[2]!);
      if (isErr(c)) return c;
      if (c < 0n) {
        const s = lookupTyped(ctx, key, RSet);
        if (isErr(s)) return s;
        if (!s) return [];
        return randomPicks([...s.s], -c, (m) => [m]);
      }
      count = Number(c);
    }
    const s = lookupTyped(ctx, key, RSet, pop);
    if (isErr(s)) return s;
    if (!s || count === 0) return [];
    const arr = [...s.s];
    const out: string[] = [];
    if (count > 0) {
      const n = Math.min(count, arr.length);
      for (let i = 0; i < n; i++) {
        const j = i + Math.floor(Math.random() * (arr.length - i));
        [arr[i], arr[j]] = [arr[j]!, arr[i]!];
        out.push(arr[i]!);
      }
    } else {
      for (let i = 0; i < -count; i++) out.push(arr[Math.floor(Math.random() * arr.length)]!);
    }
    if (pop) {
      for (const m of out) s.delete(m);
      ctx.ks.notify('spop', key, ctx.db.id);
      if (s.size === 0) {
        ctx.db.deleteKey(key);
        ctx.ks.notify('del', key, ctx.db.id);
      }
      ctx.db.signalModified(key);
    }
    return out;
  }
  const s = lookupTyped(ctx, key, RSet, pop);
  if (isErr(s)) return s;
  if (!s) return null;
  const arr = [...s.s];
  const m = arr[Math.floor(Math.random() * arr.length)]!;
  if (pop) {
    s.delete(m);
    ctx.ks.notify('spop', key, ctx.db.id);
    if (s.size === 0) {
      ctx.db.deleteKey(key);
      ctx.ks.notify('del', key, ctx.db.id);
    }
    ctx.db.signalModified(key);
  }
  return m;
}

export const commands: Record<string, Handler> = {
  sadd: (ctx, argv) => {
    const key = argv[1]!;
    const s = lookupOrCreate(ctx, key, RSet);
    if (isErr(s)) return s;
    let added = 0;
    for (let i = 2; i < argv.length; i++) if (s.add(argv[i]!)) added++;
    if (added > 0) {
      ctx.db.signalModified(key);
      ctx.ks.notify('sadd', key, ctx.db.id);
    }
    return added;
  },
  srem: (ctx, argv) => {
    const key = argv[1]!;
    const s = lookupTyped(ctx, key, RSet, true);
    if (isErr(s)) return s;
    if (!s) return 0;
    let n = 0;
    let removedKey = false;
    for (let i = 2; i < argv.length; i++) {
      if (s.delete(argv[i]!)) {
        n++;
        if (s.size === 0) {
          ctx.db.deleteKey(key);
          removedKey = true;
          break;
        }
      }
    }
    if (n > 0) {
      ctx.db.signalModified(key);
      ctx.ks.notify('srem', key, ctx.db.id);
      if (removedKey) ctx.ks.notify('del', key, ctx.db.id);
    }
    return n;
  },
  smembers: (ctx, argv) => {
    const s = lookupTyped(ctx, argv[1]!, RSet);
    if (isErr(s)) return s;
    return s ? s.members() : [];
  },
  sismember: (ctx, argv) => {
    const s = lookupTyped(ctx, argv[1]!, RSet);
    if (isErr(s)) return s;
    return s?.has(argv[2]!) ? 1 : 0;
  },
  smismember: (ctx, argv) => {
    const s = lookupTyped(ctx, argv[1]!, RSet);
    if (isErr(s)) return s;
    return argv.slice(2).map((m) => (s?.has(m) ? 1 : 0));
  },
  scard: (ctx, argv) => {
    const s = lookupTyped(ctx, argv[1]!, RSet);
    if (isErr(s)) return s;
    return s ? s.size : 0;
  },
  spop: (ctx, argv) => popOrRandom(ctx, argv, true),
  srandmember: (ctx, argv) => popOrRandom(ctx, argv, false),
  smove: (ctx, argv) => {
    const [src, dst, m] = [argv[1]!, argv[2]!, argv[3]!];
    const sv = ctx.db.getForWrite(src);
    const dv = ctx.db.getForWrite(dst);
    if (sv === undefined) return 0;
    if (!(sv instanceof RSet) || (dv !== undefined && !(dv instanceof RSet))) return E.WRONGTYPE;
    if (sv === dv) return sv.has(m) ? 1 : 0;
    if (!sv.delete(m)) return 0;
    ctx.ks.notify('srem', src, ctx.db.id);
    if (sv.size === 0) {
      ctx.db.deleteKey(src);
      ctx.ks.notify('del', src, ctx.db.id);
    }
    let d = dv as RSet | undefined;
    if (!d) {
      d = new RSet();
      ctx.db.add(dst, d);
    }
    ctx.db.signalModified(src);
    if (d.add(m)) {
      ctx.db.signalModified(dst);
      ctx.ks.notify('sadd', dst, ctx.db.id);
    }
    return 1;
  },
  sinter: algebra(inter, false),
  sinterstore: algebra(inter, true, 'sinterstore'),
  sunion: algebra(union, false),
  sunionstore: algebra(union, true, 'sunionstore'),
  sdiff: algebra(diff, false),
  sdiffstore: algebra(diff, true, 'sdiffstore'),
  sintercard: (ctx, argv) => {
    const nk = rangeArg(argv[1]!, 1, LONG_MAX, 'numkeys should be greater than 0');
    if (isErr(nk)) return nk;
    if (nk > argv.length - 2) return E.NUMKEYS;
    const keys = argv.slice(2, 2 + nk);
    let limit = 0;
    for (let i = 2 + nk; i < argv.length; i++) {
      if (argv[i]!.toLowerCase() === 'limit' && i + 1 < argv.length) {
        const l = positiveArg(argv[++i]!, "LIMIT can't be negative");
        if (isErr(l)) return l;
        limit = l;
      } else return E.SYNTAX;
    }
    const sets = loadSets(ctx, keys, false);
    if (!Array.isArray(sets)) return sets;
    const n = inter(sets as (RSet | undefined)[]).length;
    return limit > 0 ? Math.min(n, limit) : n;
  },
  sscan: (ctx, argv) => {
    const cur = parseCursor(argv[2]!);
    if (isErr(cur)) return cur;
    const s = lookupTyped(ctx, argv[1]!, RSet);
    if (isErr(s)) return s;
    if (!s) return ['0', []];
    const o = parseScanArgs(argv, 2, false);
    if (isErr(o)) return o;
    if (s.intset) return ['0', s.members().filter((m) => matches(o.match, m))];
    const { next, names } = scanStep(s.s, o.cursor, o.count);
    return [String(next), names.filter((m) => s.has(m) && matches(o.match, m))];
  },
};

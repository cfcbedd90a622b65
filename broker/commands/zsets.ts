// Sorted set commands (t_zset.c).

import { E, ErrorReply, err, type Reply } from '../resp/reply.ts';
import { RSet, ZSet, type ZEntry } from '../store/types.ts';
import { formatDouble, parseDouble } from '../util/numbers.ts';
import { popFirstReady } from './blocking.ts';
import type { Ctx, Handler } from './registry.ts';
import { matches, parseCursor, parseScanArgs, scanStep } from './scan.ts';
import { LONG_MAX, intArg, isErr, lookupTyped, positiveArg, randCountArg, randPairsInRange, randomPicks, rangeArg, timeoutArg } from './util.ts';

const NAN_ERR = err('ERR resulting score is not a number (NaN)');

// ---------------------------------------------------------------------------
// Range parsing

interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** strtod as zslParseRange uses it: leading spaces, "" = 0, overflow = inf; only NaN and garbage fail. */
function strtodLoose(s: string): number | null {
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (t === '') return 0;
  const v = parseDouble(t);
  if (v !== null) return v;
  // parseDouble rejects overflow/underflow; strtod returns +-HUGE_VAL or 0.
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const n = Number(t);
    if (!Number.isNaN(n)) return n;
  }
  return null;
}

function parseScoreRange(min: string, max: string): ScoreRange | null {
  const r: ScoreRange = { min: 0, max: 0, minex: false, maxex: false };
  const one = (s: string): [number, boolean] | null => {
    const ex = s.startsWith('(');
    const v = strtodLoose(ex ? s.slice(1) : s);
    if (v === null || Number.isNaN(v)) return null;
    return [v, ex];
  };
  const a = one(min);
  const b = one(max);
  if (!a || !b) return null;
  [r.min, r.minex] = a;
  [r.max, r.maxex] = b;
  return r;
}

const lteMax = (v: number, r: ScoreRange) => (r.maxex ? v < r.max : v <= r.max);

/** Lex range item: '-' (minus infinity), '+' (plus infinity), '[x' inclusive, '(x' exclusive. */
interface LexItem {
  kind: 'min' | 'max' | 'str';
  s: string;
  ex: boolean;
}
interface LexRange {
  min: LexItem;
  max: LexItem;
}

function parseLexItem(s: string): LexItem | null {
  const c = s[0];
  if (c === '+' && s.length === 1) return { kind: 'max', s: '', ex: false };
  if (c === '-' && s.length === 1) return { kind: 'min', s: '', ex: false };
  if (c === '(') return { kind: 'str', s: s.slice(1), ex: true };
  if (c === '[') return { kind: 'str', s: s.slice(1), ex: false };
  return null;
}

function parseLexRange(min: string, max: string): LexRange | null {
  const a = parseLexItem(min);
  const b = parseLexItem(max);
  if (!a || !b) return null;
  return { min: a, max: b };
}

/** sdscmplex: compare items where '-' < everything < '+'. */
function cmpLex(a: LexItem, b: LexItem): number {
  if (a.kind === b.kind && a.kind !== 'str') return 0;
  if (a.kind === 'min' || b.kind === 'max') return -1;
  if (a.kind === 'max' || b.kind === 'min') return 1;
  return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
}

function lexGteMin(v: string, r: LexRange): boolean {
  const m = r.min;
  if (m.kind === 'min') return true;
  if (m.kind === 'max') return false;
  return m.ex ? v > m.s : v >= m.s;
}
function lexLteMax(v: string, r: LexRange): boolean {
  const m = r.max;
  if (m.kind === 'max') return true;
  if (m.kind === 'min') return false;
  return m.ex ? v < m.s : v <= m.s;
}

function lexRangeEmpty(r: LexRange): boolean {
  const c = cmpLex(r.min, r.max);
  return c > 0 || (c === 0 && (r.min.ex || r.max.ex));
}

/** Indexes (ascending) of the elements in a lex range, with listpack scan semantics. */
function lexIndexes(z: ZSet, r: LexRange): [number, number] | null {
  const a = z.arr;
  if (a.length === 0 || lexRangeEmpty(r)) return null;
  if (!lexGteMin(a[a.length - 1]!.m, r) || !lexLteMax(a[0]!.m, r)) return null;
  let i = 0;
  while (i < a.length && !lexGteMin(a[i]!.m, r)) i++;
  if (i >= a.length || !lexLteMax(a[i]!.m, r)) return null;
  let j = i;
  while (j + 1 < a.length && lexLteMax(a[j + 1]!.m, r)) j++;
  return [i, j];
}

function lexIndexesRev(z: ZSet, r: LexRange): [number, number] | null {
  const a = z.arr;
  if (a.length === 0 || lexRangeEmpty(r)) return null;
  if (!lexGteMin(a[a.length - 1]!.m, r) || !lexLteMax(a[0]!.m, r)) return null;
  let j = a.length - 1;
  while (j >= 0 && !lexLteMax(a[j]!.m, r)) j--;
  if (j < 0 || !lexGteMin(a[j]!.m, r)) return null;
  let i = j;
  while (i - 1 >= 0 && lexGteMin(a[i - 1]!.m, r)) i--;
  return [i, j];
}

/** Indexes (ascending) of the elements in a score range. */
function scoreIndexes(z: ZSet, r: ScoreRange): [number, number] | null {
  if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return null;
  const i = z.firstByScore(r.min, r.minex);
  if (i >= z.arr.length || !lteMax(z.arr[i]!.s, r)) return null;
  let j = z.firstByScore(r.max, !r.maxex) - 1;
  if (j >= z.arr.length) j = z.arr.length - 1;
  if (j < i) return null;
  return [i, j];
}

// ---------------------------------------------------------------------------

function emit(entries: ZEntry[], withScores: boolean): Reply {
  const out: string[] = [];
  for (const e of entries) {
    out.push(e.m);
    if (withScores) out.push(formatDouble(e.s));
  }
  return out;
}

/** Apply LIMIT offset/count semantics of genericZrangebyscoreCommand. */
function applyLimit(entries: ZEntry[], offset: number, limit: number): ZEntry[] {
  if (offset < 0) return [];
  const rest = entries.slice(offset);
  return limit < 0 ? rest : rest.slice(0, limit);
}

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/** zrangeGenericCommand: returns the selected entries (or an error), optionally with scores. */
function zrangeGeneric(
  ctx: Ctx,
  argv: string[],
  start: number,
  store: boolean,
  rangeType: RangeType,
  direction: Direction,
): { entries: ZEntry[]; withScores: boolean; missing: boolean } | ErrorReply {
  const key = argv[start]!;
  let minidx = start + 1;
  let maxidx = start + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = start + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const o = argv[j]!.toLowerCase();
    if (!store && o === 'withscores') withScores = true;
    else if (o === 'limit' && left >= 2) {
      const a = intArg(argv[j + 1]!);
      if (isErr(a)) return a;
      const b = intArg(argv[j + 2]!);
      if (isErr(b)) return b;
      offset = a;
      limit = b;
      j += 2;
    } else if (direction === 'auto' && o === 'rev') direction = 'reverse';
    else if (rangeType === 'auto' && o === 'bylex') rangeType = 'lex';
    else if (rangeType === 'auto' && o === 'byscore') rangeType = 'score';
    else return E.SYNTAX;
  }
  if (direction === 'auto') direction = 'forward';
  if (rangeType === 'auto') rangeType = 'rank';
  if (limit !== -1 && rangeType === 'rank') return err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withScores && rangeType === 'lex') return err('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  const rev = direction === 'reverse';
  if (rev && rangeType !== 'rank') [minidx, maxidx] = [maxidx, minidx];
  let rs = 0;
  let re = 0;
  let sr: ScoreRange | null = null;
  let lr: LexRange | null = null;
  if (rangeType === 'rank') {
    const a = intArg(argv[minidx]!);
    if (isErr(a)) return a;
    const b = intArg(argv[maxidx]!);
    if (isErr(b)) return b;
    rs = a;
    re = b;
  } else if (rangeType === 'score') {
    sr = parseScoreRange(argv[minidx]!, argv[maxidx]!);
    if (!sr) return E.MIN_MAX_FLOAT;
  } else {
    lr = parseLexRange(argv[minidx]!, argv[maxidx]!);
    if (!lr) return E.MIN_MAX_LEX;
  }
  const z = lookupTyped(ctx, key, ZSet);
  if (isErr(z)) return z;
  if (!z) return { entries: [], withScores, missing: true };
  const a = z.arr;
  let entries: ZEntry[] = [];
  if (rangeType === 'rank') {
    const llen = a.length;
    if (rs < 0) rs = llen + rs;
    if (re < 0) re = llen + re;
    if (rs < 0) rs = 0;
    if (!(rs > re || rs >= llen)) {
      if (re >= llen) re = llen - 1;
      entries = rev ? a.slice(llen - 1 - re, llen - rs).reverse() : a.slice(rs, re + 1);
    }
  } else if (rangeType === 'score') {
    if (!(offset > 0 && offset >= a.length)) {
      const idx = scoreIndexes(z, sr!);
      if (idx) entries = applyLimit(rev ? a.slice(idx[0], idx[1] + 1).reverse() : a.slice(idx[0], idx[1] + 1), offset, limit);
    }
  } else {
    if (!(offset > 0 && offset >= a.length)) {
      const idx = rev ? lexIndexesRev(z, lr!) : lexIndexes(z, lr!);
      if (idx) entries = applyLimit(rev ? a.slice(idx[0], idx[1] + 1).reverse() : a.slice(idx[0], idx[1] + 1), offset, limit);
    }
  }
  return { entries, withScores, missing: false };
}

function rangeCmd(rangeType: RangeType, direction: Direction): Handler {
  return (ctx, argv) => {
    const r = zrangeGeneric(ctx, argv, 1, false, rangeType, direction);
    if (isErr(r)) return r;
    return emit(r.entries, r.withScores);
  };
}

/** Store a result zset (or delete dst when empty), as the *STORE commands do. */
function storeResult(ctx: Ctx, dst: string, entries: Iterable<[string, number]>, event: string): Reply {
  const z = new ZSet();
  for (const [m, s] of entries) z.set(m, s);
  if (z.size > 0) {
    ctx.db.set(dst, z);
    ctx.db.signalModified(dst);
    ctx.ks.notify(event, dst, ctx.db.id);
    return z.size;
  }
  if (ctx.db.deleteKey(dst)) {
    ctx.db.signalModified(dst);
    ctx.ks.notify('del', dst, ctx.db.id);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// ZADD

function zadd(ctx: Ctx, argv: string[], forceIncr: boolean): Reply {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = forceIncr;
  let idx = 2;
  if (!forceIncr) {
    while (idx < argv.length) {
      const o = argv[idx]!.toLowerCase();
      if (o === 'nx') nx = true;
      else if (o === 'xx') xx = true;
      else if (o === 'ch') ch = true;
      else if (o === 'incr') incr = true;
      else if (o === 'gt') gt = true;
      else if (o === 'lt') lt = true;
      else break;
      idx++;
    }
  }
  const elements = argv.length - idx;
  if (elements % 2 || !elements) return E.SYNTAX;
  const n = elements / 2;
  if (nx && xx) return err('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) return err('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && n > 1) return err('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = 0; j < n; j++) {
    const s = parseDouble(argv[idx + j * 2]!);
    if (s === null) return E.NOT_FLOAT;
    scores.push(s);
  }
  const key = argv[1]!;
  let z = lookupTyped(ctx, key, ZSet, true);
  if (isErr(z)) return z;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (!z) {
    if (xx) return incr ? null : 0;
    z = new ZSet();
    ctx.db.add(key, z);
  }
  let result: Reply | null = null;
  for (let j = 0; j < n; j++) {
    let s = scores[j]!;
    const m = argv[idx + 1 + j * 2]!;
    const cur = z.score(m);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        s += cur;
        if (Number.isNaN(s)) {
          result = NAN_ERR;
          break;
        }
      }
      if ((lt && s >= cur) || (gt && s <= cur)) continue;
      score = s;
      processed++;
      if (s !== cur) {
        z.set(m, s);
        updated++;
      }
    } else if (!xx) {
      z.set(m, s);
      score = s;
      added++;
      processed++;
    }
  }
  if (added || updated) {
    ctx.db.signalModified(key);
    ctx.ks.notify(incr ? 'zincr' : 'zadd', key, ctx.db.id);
  }
  if (z.size === 0) ctx.db.deleteKey(key);
  if (result) return result;
  if (incr) return processed ? formatDouble(Object.is(score, -0) ? 0 : score) : null;
  return ch ? added + updated : added;
}

// ---------------------------------------------------------------------------
// Pops

function popEntries(ctx: Ctx, key: string, z: ZSet, count: number, max: boolean): ZEntry[] {
  const n = Math.min(count, z.size);
  const out = max ? z.deleteRange(z.size - n, z.size).reverse() : z.deleteRange(0, n);
  ctx.ks.notify(max ? 'zpopmax' : 'zpopmin', key, ctx.db.id);
  if (z.size === 0) {
    ctx.db.deleteKey(key);
    ctx.ks.notify('del', key, ctx.db.id);
  }
  ctx.db.signalModified(key);
  return out;
}

function zpop(max: boolean): Handler {
  return (ctx, argv) => {
    if (argv.length > 3) return E.SYNTAX;
    let count = -1;
    if (argv.length === 3) {
      const c = positiveArg(argv[2]!);
      if (isErr(c)) return c;
      count = c;
    }
    const key = argv[1]!;
    const z = lookupTyped(ctx, key, ZSet, true);
    if (isErr(z)) return z;
    if (!z) return [];
    if (count === 0) return [];
    if (count === -1) count = 1;
    return emit(popEntries(ctx, key, z, count, max), true);
  };
}

const isEmpty = (z: ZSet) => z.size === 0;

function bzpop(max: boolean): Handler {
  return (ctx, argv) => {
    const deadline = timeoutArg(ctx, argv[argv.length - 1]!);
    if (isErr(deadline)) return deadline;
    const popOne = (c: Ctx, key: string, z: ZSet): Reply => {
      const e = popEntries(c, key, z, 1, max)[0]!;
      return [key, e.m, formatDouble(e.s)];
    };
    return popFirstReady(ctx, argv.slice(1, -1), ZSet, isEmpty, popOne, deadline);
  };
}

function parseZmpop(argv: string[], first: number): { keys: string[]; max: boolean; count: number } | ErrorReply {
  const nk = rangeArg(argv[first]!, 1, LONG_MAX, 'numkeys should be greater than 0');
  if (isErr(nk)) return nk;
  if (argv.length < first + 1 + nk + 1) return E.SYNTAX;
  const keys = argv.slice(first + 1, first + 1 + nk);
  const w = argv[first + 1 + nk]!.toLowerCase();
  if (w !== 'min' && w !== 'max') return E.SYNTAX;
  let count = -1;
  for (let i = first + 2 + nk; i < argv.length; i++) {
    if (argv[i]!.toLowerCase() === 'count' && count === -1 && i + 1 < argv.length) {
      const c = rangeArg(argv[++i]!, 1, LONG_MAX, 'count should be greater than 0');
      if (isErr(c)) return c;
      count = c;
    } else return E.SYNTAX;
  }
  return { keys, max: w === 'max', count: count === -1 ? 1 : count };
}

function zmpopFrom(ctx: Ctx, key: string, z: ZSet, count: number, max: boolean): Reply {
  const entries = popEntries(ctx, key, z, count, max);
  return [key, entries.map((e) => [e.m, formatDouble(e.s)])];
}

// ---------------------------------------------------------------------------
// Set operations

type Agg = 'sum' | 'min' | 'max';

function aggregate(agg: Agg, a: number, b: number): number {
  if (agg === 'sum') {
    const r = a + b;
    return Number.isNaN(r) ? 0 : r;
  }
  return agg === 'min' ? (a < b ? a : b) : a > b ? a : b;
}

function srcEntries(v: ZSet | RSet | undefined): [string, number][] {
  if (!v) return [];
  if (v instanceof ZSet) return v.arr.map((e) => [e.m, e.s]);
  return [...v.s].map((m) => [m, 1]);
}

function zsetOp(op: 'union' | 'inter' | 'diff', hasDst: boolean): Handler {
  return (ctx, argv) => {
    const numkeysIndex = hasDst ? 2 : 1;
    const setnum = intArg(argv[numkeysIndex]!);
    if (isErr(setnum)) return setnum;
    if (setnum < 1) return err(`ERR at least 1 input key is needed for '${ctx.spec.name}' command`);
    if (setnum > argv.length - (numkeysIndex + 1)) return E.SYNTAX;
    const srcs: (ZSet | RSet | undefined)[] = [];
    const weights: number[] = [];
    let j = numkeysIndex + 1;
    for (let i = 0; i < setnum; i++, j++) {
      const v = hasDst ? ctx.db.getForWrite(argv[j]!) : ctx.db.get(argv[j]!);
      if (v !== undefined && !(v instanceof ZSet) && !(v instanceof RSet)) return E.WRONGTYPE;
      srcs.push(v as ZSet | RSet | undefined);
      weights.push(1);
    }
    let agg: Agg = 'sum';
    let withScores = false;
    let remaining = argv.length - j;
    while (remaining) {
      const o = argv[j]!.toLowerCase();
      if (op !== 'diff' && remaining >= setnum + 1 && o === 'weights') {
        j++;
        remaining--;
        for (let i = 0; i < setnum; i++, j++, remaining--) {
          const w = parseDouble(argv[j]!);
          if (w === null) return err('ERR weight value is not a float');
          weights[i] = w;
        }
      } else if (op !== 'diff' && remaining >= 2 && o === 'aggregate') {
        const a = argv[j + 1]!.toLowerCase();
        if (a !== 'sum' && a !== 'min' && a !== 'max') return E.SYNTAX;
        agg = a;
        j += 2;
        remaining -= 2;
      } else if (remaining >= 1 && !hasDst && o === 'withscores') {
        j++;
        remaining--;
        withScores = true;
      } else return E.SYNTAX;
    }
    const result = new Map<string, number>();
    const weighted = (v: number, w: number) => {
      const r = v * w;
      return Number.isNaN(r) ? 0 : r;
    };
    if (op === 'union') {
      srcs.forEach((s, i) => {
        for (const [m, sc] of srcEntries(s)) {
          const v = weighted(sc, weights[i]!);
          const cur = result.get(m);
          result.set(m, cur === undefined ? v : aggregate(agg, cur, v));
        }
      });
    } else if (op === 'inter') {
      if (srcs.every((s) => s && s.size > 0)) {
        const order = srcs.map((s, i) => ({ s: s!, i })).sort((a, b) => a.s.size - b.s.size);
        const first = order[0]!;
        for (const [m, sc] of srcEntries(first.s)) {
          let score = weighted(sc, weights[first.i]!);
          let ok = true;
          for (const { s, i } of order.slice(1)) {
            const other = s instanceof ZSet ? s.score(m) : s.has(m) ? 1 : undefined;
            if (other === undefined) {
              ok = false;
              break;
            }
            score = aggregate(agg, score, weighted(other, weights[i]!));
          }
          if (ok) result.set(m, score);
        }
      }
    } else {
      const [first, ...rest] = srcs;
      for (const [m, sc] of srcEntries(first)) {
        if (rest.some((s) => (s instanceof ZSet ? s.score(m) !== undefined : s instanceof RSet ? s.has(m) : false))) continue;
        result.set(m, sc);
      }
    }
    if (hasDst) return storeResult(ctx, argv[1]!, result, `z${op}store`);
    const z = new ZSet();
    for (const [m, s] of result) z.set(m, s);
    return emit(z.arr, withScores);
  };
}

// ---------------------------------------------------------------------------

export const commands: Record<string, Handler> = {
  zadd: (ctx, argv) => zadd(ctx, argv, false),
  zincrby: (ctx, argv) => zadd(ctx, ['zincrby', argv[1]!, argv[2]!, argv[3]!], true),
  zrem: (ctx, argv) => {
    const key = argv[1]!;
    const z = lookupTyped(ctx, key, ZSet, true);
    if (isErr(z)) return z;
    if (!z) return 0;
    let n = 0;
    let removedKey = false;
    for (let i = 2; i < argv.length; i++) {
      if (z.delete(argv[i]!)) n++;
      if (z.size === 0) {
        ctx.db.deleteKey(key);
        removedKey = true;
        break;
      }
    }
    if (n > 0) {
      ctx.db.signalModified(key);
      ctx.ks.notify('zrem', key, ctx.db.id);
      if (removedKey) ctx.ks.notify('del', key, ctx.db.id);
    }
    return n;
  },
  zcard: (ctx, argv) => {
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    return z ? z.size : 0;
  },
  zscore: (ctx, argv) => {
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    const s = z?.score(argv[2]!);
    return s === undefined ? null : formatDouble(s);
  },
  zmscore: (ctx, argv) => {
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    return argv.slice(2).map((m) => {
      const s = z?.score(m);
      return s === undefined ? null : formatDouble(s);
    });
  },
  zrank: (ctx, argv) => {
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    return z?.rank(argv[2]!) ?? null;
  },
  zrevrank: (ctx, argv) => {
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    const r = z?.rank(argv[2]!);
    return r === undefined ? null : z!.size - 1 - r;
  },
  zcount: (ctx, argv) => {
    const r = parseScoreRange(argv[2]!, argv[3]!);
    if (!r) return E.MIN_MAX_FLOAT;
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    if (!z) return 0;
    const idx = scoreIndexes(z, r);
    return idx ? idx[1] - idx[0] + 1 : 0;
  },
  zlexcount: (ctx, argv) => {
    const r = parseLexRange(argv[2]!, argv[3]!);
    if (!r) return E.MIN_MAX_LEX;
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    if (!z) return 0;
    const idx = lexIndexes(z, r);
    return idx ? idx[1] - idx[0] + 1 : 0;
  },
  zrange: rangeCmd('auto', 'auto'),
  zrevrange: rangeCmd('rank', 'reverse'),
  zrangebyscore: rangeCmd('score', 'forward'),
  zrevrangebyscore: rangeCmd('score', 'reverse'),
  zrangebylex: rangeCmd('lex', 'forward'),
  zrevrangebylex: rangeCmd('lex', 'reverse'),
  zrangestore: (ctx, argv) => {
    const r = zrangeGeneric(ctx, argv, 2, true, 'auto', 'auto');
    if (isErr(r)) return r;
    return storeResult(
      ctx,
      argv[1]!,
      r.entries.map((e) => [e.m, e.s]),
      'zrangestore',
    );
  },
  zremrangebyrank: zremRange('rank'),
  zremrangebyscore: zremRange('score'),
  zremrangebylex: zremRange('lex'),
  zpopmin: zpop(false),
  zpopmax: zpop(true),
  bzpopmin: bzpop(false),
  bzpopmax: bzpop(true),
  zmpop: (ctx, argv) => {
    const p = parseZmpop(argv, 1);
    if (isErr(p)) return p;
    return popFirstReady(ctx, p.keys, ZSet, isEmpty, (c, key, z) => zmpopFrom(c, key, z, p.count, p.max), null);
  },
  bzmpop: (ctx, argv) => {
    const deadline = timeoutArg(ctx, argv[1]!);
    if (isErr(deadline)) return deadline;
    const p = parseZmpop(argv, 2);
    if (isErr(p)) return p;
    return popFirstReady(ctx, p.keys, ZSet, isEmpty, (c, key, z) => zmpopFrom(c, key, z, p.count, p.max), deadline);
  },
  zunionstore: zsetOp('union', true),
  zinterstore: zsetOp('inter', true),
  zdiffstore: zsetOp('diff', true),
  zunion: zsetOp('union', false),
  zinter: zsetOp('inter', false),
  zdiff: zsetOp('diff', false),
  zintercard: (ctx, argv) => {
    // zunionInterDiffGenericCommand's checks and texts (unlike SINTERCARD's).
    const nk = rangeArg(argv[1]!, -LONG_MAX, LONG_MAX);
    if (isErr(nk)) return nk;
    if (nk < 1) return err("ERR at least 1 input key is needed for 'zintercard' command");
    if (nk > argv.length - 2) return E.SYNTAX;
    let limit = 0;
    for (let i = 2 + nk; i < argv.length; i++) {
      if (argv[i]!.toLowerCase() === 'limit' && i + 1 < argv.length) {
        const l = positiveArg(argv[++i]!, "LIMIT can't be negative");
        if (isErr(l)) return l;
        limit = l;
      } else return E.SYNTAX;
    }
    const srcs: (ZSet | RSet | undefined)[] = [];
    for (const k of argv.slice(2, 2 + nk)) {
      const v = ctx.db.get(k);
      if (v !== undefined && !(v instanceof ZSet) && !(v instanceof RSet)) return E.WRONGTYPE;
      srcs.push(v as ZSet | RSet | undefined);
    }
    if (srcs.some((s) => !s)) return 0;
    const [first, ...rest] = srcs as (ZSet | RSet)[];
    let n = 0;
    for (const [m] of srcEntries(first)) {
      if (rest.every((s) => (s instanceof ZSet ? s.score(m) !== undefined : s.has(m)))) {
        n++;
        if (limit && n >= limit) break;
      }
    }
    return n;
  },
  zrandmember: (ctx, argv) => {
    let count: number | null = null;
    let withScores = false;
    let big = 0n;
    if (argv.length >= 3) {
      const c = randCountArg(argv[2]!);
      if (isErr(c)) return c;
      count = Number(c);
      big = c;
      if (argv.length === 4) {
        if (argv[3]!.toLowerCase() !== 'withscores') return E.SYNTAX;
        withScores = true;
        const range = randPairsInRange(c);
        if (range) return range;
      } else if (argv.length > 4) return E.SYNTAX;
    }
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    if (z && big < 0n) return randomPicks([...z.arr], -big, (e) => (emit([e], withScores) as Reply[]));
    if (count === null) return z ? z.arr[Math.floor(Math.random() * z.size)]!.m : null;
    if (!z || count === 0) return [];
    const arr = [...z.arr];
    const out: ZEntry[] = [];
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
    return emit(out, withScores);
  },
  zscan: (ctx, argv) => {
    const cur = parseCursor(argv[2]!);
    if (isErr(cur)) return cur;
    const z = lookupTyped(ctx, argv[1]!, ZSet);
    if (isErr(z)) return z;
    if (!z) return ['0', []];
    const o = parseScanArgs(argv, 2, false);
    if (isErr(o)) return o;
    const listpack = z.size <= 128 && [...z.dict.keys()].every((m) => m.length <= 64);
    const out: string[] = [];
    if (listpack) {
      for (const e of z.arr) if (matches(o.match, e.m)) out.push(e.m, formatDouble(e.s));
      return ['0', out];
    }
    const { next, names } = scanStep(z.dict.keys(), o.cursor, o.count);
    for (const m of names) {
      const s = z.score(m);
      if (s !== undefined && matches(o.match, m)) out.push(m, formatDouble(s));
    }
    return [String(next), out];
  },
};

function zremRange(type: 'rank' | 'score' | 'lex'): Handler {
  return (ctx, argv) => {
    let start = 0;
    let end = 0;
    let sr: ScoreRange | null = null;
    let lr: LexRange | null = null;
    if (type === 'rank') {
      const a = intArg(argv[2]!);
      if (isErr(a)) return a;
      const b = intArg(argv[3]!);
      if (isErr(b)) return b;
      start = a;
      end = b;
    } else if (type === 'score') {
      sr = parseScoreRange(argv[2]!, argv[3]!);
      if (!sr) return E.MIN_MAX_FLOAT;
    } else {
      lr = parseLexRange(argv[2]!, argv[3]!);
      if (!lr) return E.MIN_MAX_LEX;
    }
    const key = argv[1]!;
    const z = lookupTyped(ctx, key, ZSet, true);
    if (isErr(z)) return z;
    if (!z) return 0;
    let idx: [number, number] | null;
    if (type === 'rank') {
      const llen = z.size;
      if (start < 0) start = llen + start;
      if (end < 0) end = llen + end;
      if (start < 0) start = 0;
      if (start > end || start >= llen) return 0;
      if (end >= llen) end = llen - 1;
      idx = [start, end];
    } else if (type === 'score') {
      idx = scoreIndexes(z, sr!);
    } else {
      idx = lexIndexes(z, lr!);
    }
    if (!idx) return 0;
    const removed = z.deleteRange(idx[0], idx[1] + 1).length;
    if (removed > 0) {
      ctx.ks.notify(type === 'rank' ? 'zremrangebyrank' : type === 'score' ? 'zremrangebyscore' : 'zremrangebylex', key, ctx.db.id);
      if (z.size === 0) {
        ctx.db.deleteKey(key);
        ctx.ks.notify('del', key, ctx.db.id);
      }
      ctx.db.signalModified(key);
    }
    return removed;
  };
}

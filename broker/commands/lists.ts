// List commands (t_list.c), including the blocking ones.

import { E, ErrorReply, NULL_ARRAY, OK, err, type Reply } from '../resp/reply.ts';
import { RList } from '../store/types.ts';
import { popFirstReady } from './blocking.ts';
import { Block, type Ctx, type Handler } from './registry.ts';
import { LONG_MAX, clampRange, intArg, isErr, lookupTyped, positiveArg, rangeArg, timeoutArg } from './util.ts';

type Where = 'left' | 'right';

function where(s: string): Where | null {
  const l = s.toLowerCase();
  return l === 'left' ? 'left' : l === 'right' ? 'right' : null;
}

function pushGeneric(ctx: Ctx, argv: string[], w: Where, xx: boolean): Reply {
  const key = argv[1]!;
  const existing = lookupTyped(ctx, key, RList, true);
  if (isErr(existing)) return existing;
  if (!existing && xx) return 0;
  let list = existing;
  if (!list) {
    list = new RList();
    for (let i = 2; i < argv.length; i++) (w === 'left' ? list.unshift : list.push).call(list, argv[i]!);
    ctx.db.add(key, list);
  } else {
    for (let i = 2; i < argv.length; i++) (w === 'left' ? list.unshift : list.push).call(list, argv[i]!);
  }
  ctx.db.signalModified(key);
  ctx.ks.notify(w === 'left' ? 'lpush' : 'rpush', key, ctx.db.id);
  return list.length;
}

/** Remove the key if the list became empty, and signal the change. */
function removed(ctx: Ctx, key: string, list: RList, event: string): void {
  ctx.ks.notify(event, key, ctx.db.id);
  if (list.length === 0) {
    ctx.db.deleteKey(key);
    ctx.ks.notify('del', key, ctx.db.id);
  }
  ctx.db.signalModified(key);
}

function popGeneric(w: Where): Handler {
  return (ctx, argv) => {
    if (argv.length > 3) return err(`ERR wrong number of arguments for '${ctx.spec.name}' command`);
    const hasCount = argv.length === 3;
    let count = 0;
    if (hasCount) {
      const c = positiveArg(argv[2]!);
      if (isErr(c)) return c;
      count = c;
    }
    const key = argv[1]!;
    const list = lookupTyped(ctx, key, RList, true);
    if (isErr(list)) return list;
    if (!list) return hasCount ? NULL_ARRAY : null;
    if (hasCount && count === 0) return [];
    const event = w === 'left' ? 'lpop' : 'rpop';
    if (!hasCount) {
      const v = w === 'left' ? list.shift()! : list.pop()!;
      removed(ctx, key, list, event);
      return v;
    }
    const n = Math.min(count, list.length);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(w === 'left' ? list.shift()! : list.pop()!);
    removed(ctx, key, list, event);
    return out;
  };
}

/** Push `value` to dst (creating it), as lmoveHandlePush. */
function movePush(ctx: Ctx, dst: string, dstList: RList | undefined, value: string, to: Where): void {
  let d = dstList;
  if (!d) {
    d = new RList();
    ctx.db.add(dst, d);
  }
  if (to === 'left') d.unshift(value);
  else d.push(value);
  ctx.db.signalModified(dst);
  ctx.ks.notify(to === 'left' ? 'lpush' : 'rpush', dst, ctx.db.id);
}

/** LMOVE core; undefined when the source is missing or empty. */
function lmove(ctx: Ctx, src: string, dst: string, from: Where, to: Where): Reply | undefined {
  const s = lookupTyped(ctx, src, RList, true);
  if (isErr(s)) return s;
  if (!s || s.length === 0) return undefined;
  const d = lookupTyped(ctx, dst, RList, true);
  if (isErr(d)) return d;
  const value = from === 'left' ? s.shift()! : s.pop()!;
  // When src === dst the list is the same object and cannot have been emptied.
  movePush(ctx, dst, s === d ? s : d, value, to);
  ctx.ks.notify(from === 'left' ? 'lpop' : 'rpop', src, ctx.db.id);
  if (s.length === 0) {
    ctx.db.deleteKey(src);
    ctx.ks.notify('del', src, ctx.db.id);
  }
  ctx.db.signalModified(src);
  return value;
}

const isEmpty = (list: RList) => list.length === 0;

/** BLPOP / BRPOP: serve from the first non-empty list, else block. */
function blockingPop(w: Where): Handler {
  return (ctx, argv) => {
    const deadline = timeoutArg(ctx, argv[argv.length - 1]!);
    if (isErr(deadline)) return deadline;
    return popFirstReady(ctx, argv.slice(1, -1), RList, isEmpty, (c, key, list) => popFrom(c, key, list, w), deadline);
  };
}

function popFrom(ctx: Ctx, key: string, list: RList, w: Where): Reply {
  const v = w === 'left' ? list.shift()! : list.pop()!;
  removed(ctx, key, list, w === 'left' ? 'lpop' : 'rpop');
  return [key, v];
}

function blmoveGeneric(ctx: Ctx, src: string, dst: string, from: Where, to: Where, timeout: string): Reply | Block {
  const deadline = timeoutArg(ctx, timeout);
  if (isErr(deadline)) return deadline;
  const r = lmove(ctx, src, dst, from, to);
  if (r !== undefined) return r;
  if (ctx.noBlock) return null;
  return new Block(
    [src],
    deadline,
    (c) => {
      const v = c.db.getForWrite(src);
      if (!(v instanceof RList) || v.length === 0) return undefined;
      const d = c.db.getForWrite(dst);
      if (d !== undefined && !(d instanceof RList)) return E.WRONGTYPE;
      return lmove(c, src, dst, from, to);
    },
    NULL_ARRAY,
  );
}

/** LMPOP / BLMPOP argument parsing: numkeys key... LEFT|RIGHT [COUNT n]. */
function parseMpop(argv: string[], first: number): { keys: string[]; w: Where; count: number } | ErrorReply {
  const nk = rangeArg(argv[first]!, 1, LONG_MAX, 'numkeys should be greater than 0');
  if (isErr(nk)) return nk;
  if (argv.length < first + 1 + nk + 1) return E.SYNTAX;
  const keys = argv.slice(first + 1, first + 1 + nk);
  const w = where(argv[first + 1 + nk]!);
  if (!w) return E.SYNTAX;
  let count = -1;
  for (let i = first + 2 + nk; i < argv.length; i++) {
    if (argv[i]!.toLowerCase() === 'count' && count === -1 && i + 1 < argv.length) {
      const c = rangeArg(argv[++i]!, 1, LONG_MAX, 'count should be greater than 0');
      if (isErr(c)) return c;
      count = c;
    } else return E.SYNTAX;
  }
  return { keys, w, count: count === -1 ? 1 : count };
}

function mpopFrom(ctx: Ctx, key: string, list: RList, w: Where, count: number): Reply {
  const n = Math.min(count, list.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(w === 'left' ? list.shift()! : list.pop()!);
  removed(ctx, key, list, w === 'left' ? 'lpop' : 'rpop');
  return [key, out];
}

export const commands: Record<string, Handler> = {
  lpush: (ctx, argv) => pushGeneric(ctx, argv, 'left', false),
  rpush: (ctx, argv) => pushGeneric(ctx, argv, 'right', false),
  lpushx: (ctx, argv) => pushGeneric(ctx, argv, 'left', true),
  rpushx: (ctx, argv) => pushGeneric(ctx, argv, 'right', true),
  lpop: popGeneric('left'),
  rpop: popGeneric('right'),
  llen: (ctx, argv) => {
    const l = lookupTyped(ctx, argv[1]!, RList);
    if (isErr(l)) return l;
    return l ? l.length : 0;
  },
  lrange: (ctx, argv) => {
    const start = intArg(argv[2]!);
    if (isErr(start)) return start;
    const end = intArg(argv[3]!);
    if (isErr(end)) return end;
    const l = lookupTyped(ctx, argv[1]!, RList);
    if (isErr(l)) return l;
    if (!l) return [];
    const r = clampRange(start, end, l.length);
    return r ? l.range(r[0], r[1]) : [];
  },
  lindex: (ctx, argv) => {
    const l = lookupTyped(ctx, argv[1]!, RList);
    if (isErr(l)) return l;
    if (!l) return null;
    const idx = intArg(argv[2]!);
    if (isErr(idx)) return idx;
    const i = idx < 0 ? l.length + idx : idx;
    return l.at(i) ?? null;
  },
  lset: (ctx, argv) => {
    const key = argv[1]!;
    const l = lookupTyped(ctx, key, RList, true);
    if (isErr(l)) return l;
    if (!l) return E.NO_KEY;
    const idx = intArg(argv[2]!);
    if (isErr(idx)) return idx;
    const i = idx < 0 ? l.length + idx : idx;
    if (i < 0 || i >= l.length) return E.OUT_OF_RANGE;
    l.set(i, argv[3]!);
    ctx.db.signalModified(key);
    ctx.ks.notify('lset', key, ctx.db.id);
    return OK;
  },
  lrem: (ctx, argv) => {
    const key = argv[1]!;
    const toremove = intArg(argv[2]!);
    if (isErr(toremove)) return toremove;
    const l = lookupTyped(ctx, key, RList, true);
    if (isErr(l)) return l;
    if (!l) return 0;
    const el = argv[3]!;
    const items = l.toArray();
    let removedCount = 0;
    if (toremove < 0) {
      const limit = -toremove;
      for (let i = items.length - 1; i >= 0; i--) {
        if (items[i] === el) {
          items.splice(i, 1);
          if (++removedCount === limit) break;
        }
      }
    } else {
      const out: string[] = [];
      for (const x of items) {
        if (x === el && (toremove === 0 || removedCount < toremove)) removedCount++;
        else out.push(x);
      }
      items.length = 0;
      items.push(...out);
    }
    if (removedCount > 0) {
      l.replaceAll(items);
      ctx.ks.notify('lrem', key, ctx.db.id);
      if (l.length === 0) {
        ctx.db.deleteKey(key);
        ctx.ks.notify('del', key, ctx.db.id);
      }
      ctx.db.signalModified(key);
    }
    return removedCount;
  },
  ltrim: (ctx, argv) => {
    const key = argv[1]!;
    let start = intArg(argv[2]!);
    if (isErr(start)) return start;
    let end = intArg(argv[3]!);
    if (isErr(end)) return end;
    const l = lookupTyped(ctx, key, RList, true);
    if (isErr(l)) return l;
    if (!l) return OK;
    const llen = l.length;
    let ltrim: number;
    let rtrim: number;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
      ltrim = llen;
      rtrim = 0;
    } else {
      if (end >= llen) end = llen - 1;
      ltrim = start;
      rtrim = llen - end - 1;
    }
    for (let i = 0; i < ltrim; i++) l.shift();
    for (let i = 0; i < rtrim; i++) l.pop();
    ctx.ks.notify('ltrim', key, ctx.db.id);
    if (l.length === 0) {
      ctx.db.deleteKey(key);
      ctx.ks.notify('del', key, ctx.db.id);
    }
    ctx.db.signalModified(key);
    return OK;
  },
  linsert: (ctx, argv) => {
    const pos = argv[2]!.toLowerCase();
    let after: boolean;
    if (pos === 'after') after = true;
    else if (pos === 'before') after = false;
    else return E.SYNTAX;
    const key = argv[1]!;
    const l = lookupTyped(ctx, key, RList, true);
    if (isErr(l)) return l;
    if (!l) return 0;
    const items = l.toArray();
    const i = items.indexOf(argv[3]!);
    if (i < 0) return -1;
    items.splice(after ? i + 1 : i, 0, argv[4]!);
    l.replaceAll(items);
    ctx.db.signalModified(key);
    ctx.ks.notify('linsert', key, ctx.db.id);
    return l.length;
  },
  lpos: (ctx, argv) => {
    let rank = 1;
    let count = -1;
    let maxlen = 0;
    for (let j = 3; j < argv.length; j++) {
      const opt = argv[j]!.toLowerCase();
      const more = argv.length - 1 - j;
      if (opt === 'rank' && more) {
        const r = rangeArg(argv[++j]!, -LONG_MAX, LONG_MAX);
        if (isErr(r)) return r;
        if (r === 0) {
          return err(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
          );
        }
        rank = r;
      } else if (opt === 'count' && more) {
        const c = positiveArg(argv[++j]!, "COUNT can't be negative");
        if (isErr(c)) return c;
        count = c;
      } else if (opt === 'maxlen' && more) {
        const m = positiveArg(argv[++j]!, "MAXLEN can't be negative");
        if (isErr(m)) return m;
        maxlen = m;
      } else return E.SYNTAX;
    }
    let fromTail = false;
    if (rank < 0) {
      rank = -rank;
      fromTail = true;
    }
    const l = lookupTyped(ctx, argv[1]!, RList);
    if (isErr(l)) return l;
    if (!l) return count !== -1 ? [] : null;
    const el = argv[2]!;
    const llen = l.length;
    const out: number[] = [];
    let matches = 0;
    for (let index = 0; index < llen && (maxlen === 0 || index < maxlen); index++) {
      const i = fromTail ? llen - 1 - index : index;
      if (l.at(i) === el) {
        matches++;
        if (matches >= rank) {
          if (count !== -1) {
            out.push(i);
            if (count && matches - rank + 1 >= count) break;
          } else {
            return i;
          }
        }
      }
    }
    return count !== -1 ? out : null;
  },
  lmove: (ctx, argv) => {
    const from = where(argv[3]!);
    const to = where(argv[4]!);
    if (!from || !to) return E.SYNTAX;
    return lmove(ctx, argv[1]!, argv[2]!, from, to) ?? null;
  },
  rpoplpush: (ctx, argv) => lmove(ctx, argv[1]!, argv[2]!, 'right', 'left') ?? null,
  blpop: blockingPop('left'),
  brpop: blockingPop('right'),
  blmove: (ctx, argv) => {
    const from = where(argv[3]!);
    const to = where(argv[4]!);
    if (!from || !to) return E.SYNTAX;
    return blmoveGeneric(ctx, argv[1]!, argv[2]!, from, to, argv[5]!);
  },
  brpoplpush: (ctx, argv) => blmoveGeneric(ctx, argv[1]!, argv[2]!, 'right', 'left', argv[3]!),
  lmpop: (ctx, argv) => {
    const p = parseMpop(argv, 1);
    if (isErr(p)) return p;
    return popFirstReady(ctx, p.keys, RList, isEmpty, (c, key, list) => mpopFrom(c, key, list, p.w, p.count), null);
  },
  blmpop: (ctx, argv) => {
    const deadline = timeoutArg(ctx, argv[1]!);
    if (isErr(deadline)) return deadline;
    const p = parseMpop(argv, 2);
    if (isErr(p)) return p;
    return popFirstReady(ctx, p.keys, RList, isEmpty, (c, key, list) => mpopFrom(c, key, list, p.w, p.count), deadline);
  },
};

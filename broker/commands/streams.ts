// Stream commands (t_stream.c): XADD, XTRIM, XRANGE, XREVRANGE, XREAD (with
// BLOCK), XLEN, XDEL, XSETID and a basic XINFO STREAM. Consumer groups are not
// implemented.

import { E, ErrorReply, NULL_ARRAY, OK, err, wrongArity, type Reply } from '../resp/reply.ts';
import { ID_MAX, SEQ_MASK, Stream, idMs, idSeq, idToString, makeId, type StreamEntry, type StreamId } from '../store/types.ts';
import { string2ll } from '../util/numbers.ts';
import { Block, type Ctx, type Handler } from './registry.ts';
import { isErr, lookupTyped, timeoutArg } from './util.ts';

const U64_MAX = SEQ_MASK;
const INVALID_ID = err('ERR Invalid stream ID specified as stream command argument');

/** string2ull: string2ll for non-negatives, else strtoull (spaces, '+'), up to 2^64-1. */
function string2ull(s: string): bigint | null {
  const ll = string2ll(s);
  if (ll !== null) return ll < 0n ? null : ll;
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s);
  if (!m) return null;
  let v = BigInt(m[2]!);
  if (v > U64_MAX) return null;
  if (m[1] === '-') v = (U64_MAX + 1n - v) & U64_MAX;
  return v;
}

interface ParsedId {
  id: StreamId;
  seqGiven: boolean;
}

/** streamGenericParseIDOrReply. */
function parseId(s: string, missingSeq: bigint, strict: boolean, allowSeqStar: boolean): ParsedId | ErrorReply {
  if (s.length > 127) return INVALID_ID;
  const z = s.indexOf('\0');
  if (z >= 0) s = s.slice(0, z);
  if (strict && (s === '-' || s === '+')) return INVALID_ID;
  if (s === '-') return { id: 0n, seqGiven: true };
  if (s === '+') return { id: ID_MAX, seqGiven: true };
  const dash = s.indexOf('-');
  const msPart = dash >= 0 ? s.slice(0, dash) : s;
  const ms = string2ull(msPart);
  if (ms === null) return INVALID_ID;
  let seq: bigint;
  let seqGiven = true;
  if (dash >= 0) {
    const rest = s.slice(dash + 1);
    if (allowSeqStar && rest === '*') {
      seq = 0n;
      seqGiven = false;
    } else {
      const v = string2ull(rest);
      if (v === null) return INVALID_ID;
      seq = v;
    }
  } else {
    seq = missingSeq;
  }
  return { id: makeId(ms, seq), seqGiven };
}

/** streamIncrID: the 128-bit form carries a sequence overflow into the ms part. */
function incrId(id: StreamId): StreamId | null {
  if (id === ID_MAX) return null;
  return id + 1n;
}

function decrId(id: StreamId): StreamId | null {
  if (id === 0n) return null;
  return id - 1n;
}

function entryReply(e: StreamEntry): Reply {
  return [idToString(e.id), e.fields];
}

function rangeReply(s: Stream, start: StreamId, end: StreamId, count: number, rev: boolean): Reply[] {
  const out: Reply[] = [];
  if (start > end) return out;
  for (const e of s.iterate(start, end, rev)) {
    out.push(entryReply(e));
    if (count && out.length >= count) break;
  }
  return out;
}

interface TrimArgs {
  strategy: 'none' | 'maxlen' | 'minid';
  threshold: bigint;
  approx: boolean;
  limit: number;
  noMkStream: boolean;
  id: ParsedId | null;
  /** Index of the ID argument (XADD) or of the last parsed argument. */
  pos: number;
}

/** streamParseAddOrTrimArgsOrReply. */
function parseAddOrTrim(ctx: Ctx, argv: string[], xadd: boolean): TrimArgs | ErrorReply {
  const a: TrimArgs = { strategy: 'none', threshold: 0n, approx: false, limit: 0, noMkStream: false, id: null, pos: 0 };
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i]!;
    const lo = opt.toLowerCase();
    if (xadd && opt === '*') break;
    if (lo === 'maxlen' && more) {
      if (a.strategy !== 'none') return err('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      a.approx = false;
      const next = argv[i + 1]!;
      if (more >= 2 && next === '~') {
        a.approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      const n = string2ll(argv[i + 1]!);
      if (n === null) return E.NOT_INT;
      if (n < 0n) return err('ERR The MAXLEN argument must be >= 0.');
      a.threshold = n;
      i++;
      a.strategy = 'maxlen';
    } else if (lo === 'minid' && more) {
      if (a.strategy !== 'none') return err('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      a.approx = false;
      const next = argv[i + 1]!;
      if (more >= 2 && next === '~') {
        a.approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      const p = parseId(argv[i + 1]!, 0n, true, false);
      if (isErr(p)) return p;
      a.threshold = p.id;
      i++;
      a.strategy = 'minid';
    } else if (lo === 'limit' && more) {
      const n = string2ll(argv[i + 1]!);
      if (n === null) return E.NOT_INT;
      if (n < 0n) return err('ERR The LIMIT argument must be >= 0.');
      a.limit = Number(n);
      limitGiven = true;
      i++;
    } else if (xadd && lo === 'nomkstream') {
      a.noMkStream = true;
    } else if (xadd) {
      const p = parseId(opt, 0n, true, true);
      if (isErr(p)) return p;
      a.id = p;
      break;
    } else {
      return E.SYNTAX;
    }
  }
  a.pos = i;
  if (a.limit && a.strategy === 'none') return err('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && a.strategy === 'none') return err('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (limitGiven) {
    if (!a.approx) return err('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (a.approx) {
    const nodeMax = Number(ctx.srv.config.get('stream-node-max-entries'));
    a.limit = 100 * nodeMax;
    if (a.limit <= 0 || a.limit > 1 << 30) a.limit = 1 << 30;
  } else {
    a.limit = 0;
  }
  return a;
}

function applyNodeConfig(ctx: Ctx, s: Stream): void {
  s.nodeMaxBytes = Number(ctx.srv.config.get('stream-node-max-bytes'));
  s.nodeMaxEntries = Number(ctx.srv.config.get('stream-node-max-entries'));
}

function xadd(ctx: Ctx, argv: string[]): Reply {
  const a = parseAddOrTrim(ctx, argv, true);
  if (isErr(a)) return a;
  const fieldPos = a.pos + 1;
  const nf = argv.length - fieldPos;
  if (nf < 2 || nf % 2 === 1) return wrongArity('xadd');
  if (a.id && a.id.seqGiven && a.id.id === 0n) return err('ERR The ID specified in XADD must be greater than 0-0');
  const key = argv[1]!;
  let s = lookupTyped(ctx, key, Stream, true);
  if (isErr(s)) return s;
  if (!s) {
    if (a.noMkStream) return null;
    s = new Stream();
    ctx.db.add(key, s);
  }
  if (s.lastId === ID_MAX) return err('ERR The stream has exhausted the last possible ID, unable to add more items');
  let id: StreamId;
  if (a.id) {
    if (a.id.seqGiven) id = a.id.id;
    else if (idMs(s.lastId) === idMs(a.id.id)) {
      if (idSeq(s.lastId) === U64_MAX) return err('ERR The ID specified in XADD is equal or smaller than the target stream top item');
      id = s.lastId + 1n;
    } else id = a.id.id;
  } else {
    const ms = BigInt(ctx.ks.now());
    if (ms > idMs(s.lastId)) id = makeId(ms, 0n);
    else id = idSeq(s.lastId) === U64_MAX ? makeId(idMs(s.lastId) + 1n, 0n) : s.lastId + 1n;
  }
  if (id <= s.lastId) return err('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  applyNodeConfig(ctx, s);
  s.append(id, argv.slice(fieldPos));
  ctx.db.signalModified(key);
  ctx.ks.notify('xadd', key, ctx.db.id);
  if (a.strategy !== 'none') {
    if (s.trim(a.strategy, a.threshold, a.approx, a.limit) > 0) ctx.ks.notify('xtrim', key, ctx.db.id);
  }
  ctx.db.signalReady(key);
  return idToString(id);
}

function xrangeGeneric(rev: boolean): Handler {
  return (ctx, argv) => {
    const startArg = rev ? argv[3]! : argv[2]!;
    const endArg = rev ? argv[2]! : argv[3]!;
    const interval = (s: string, missing: bigint): { id: StreamId; ex: boolean } | ErrorReply => {
      const ex = s.length > 1 && s[0] === '(';
      const p = ex ? parseId(s.slice(1), missing, true, false) : parseId(s, missing, false, false);
      if (isErr(p)) return p;
      return { id: p.id, ex };
    };
    const st = interval(startArg, 0n);
    if (isErr(st)) return st;
    let start = st.id;
    if (st.ex) {
      const n = incrId(start);
      if (n === null) return err('ERR invalid start ID for the interval');
      start = n;
    }
    const en = interval(endArg, U64_MAX);
    if (isErr(en)) return en;
    let end = en.id;
    if (en.ex) {
      const n = decrId(end);
      if (n === null) return err('ERR invalid end ID for the interval');
      end = n;
    }
    let count = -1;
    for (let j = 4; j < argv.length; j++) {
      if (argv[j]!.toLowerCase() === 'count' && argv.length - j - 1 >= 1) {
        const c = string2ll(argv[j + 1]!);
        if (c === null) return E.NOT_INT;
        count = c < 0n ? 0 : Number(c);
        j++;
      } else return E.SYNTAX;
    }
    const s = lookupTyped(ctx, argv[1]!, Stream);
    if (isErr(s)) return s;
    if (!s) return [];
    if (count === 0) return NULL_ARRAY;
    return rangeReply(s, start, end, count === -1 ? 0 : count, rev);
  };
}

function xread(ctx: Ctx, argv: string[]): Reply | Block {
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i]!.toLowerCase();
    if (o === 'block' && more) {
      if (ctx.inScript) return err(`ERR ${argv[0]} command is not allowed with BLOCK option from scripts`);
      i++;
      const t = timeoutArg(ctx, argv[i]!, 'ms');
      if (isErr(t)) return t;
      timeout = t;
    } else if (o === 'count' && more) {
      i++;
      const c = string2ll(argv[i]!);
      if (c === null) return E.NOT_INT;
      count = c < 0n ? 0 : Number(c);
    } else if (o === 'streams' && more) {
      streamsArg = i + 1;
      streamsCount = argv.length - streamsArg;
      if (streamsCount % 2 !== 0) {
        return err("ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.");
      }
      streamsCount /= 2;
      break;
    } else {
      return E.SYNTAX;
    }
  }
  if (streamsArg === 0) return E.SYNTAX;
  const keys = argv.slice(streamsArg, streamsArg + streamsCount);
  const ids: StreamId[] = [];
  for (let i = 0; i < streamsCount; i++) {
    const key = keys[i]!;
    const s = lookupTyped(ctx, key, Stream);
    if (isErr(s)) return s;
    const idArg = argv[streamsArg + streamsCount + i]!;
    if (idArg === '$') {
      ids.push(s ? s.lastId : 0n);
      continue;
    }
    if (idArg === '>') return err('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
    const p = parseId(idArg, 0n, true, false);
    if (isErr(p)) return p;
    ids.push(p.id);
  }
  const out: Reply[] = [];
  for (let i = 0; i < streamsCount; i++) {
    const s = ctx.db.get(keys[i]!);
    if (!(s instanceof Stream) || s.length === 0) continue;
    const last = s.lastEntry();
    if (!last || last.id <= ids[i]!) continue;
    const start = incrId(ids[i]!);
    if (start === null) continue;
    out.push([keys[i]!, rangeReply(s, start, ID_MAX, count, false)]);
  }
  if (out.length > 0) return out;
  if (timeout !== -1) {
    if (ctx.noBlock) return NULL_ARRAY;
    const gtById = new Map<string, StreamId>();
    keys.forEach((k, i) => {
      if (!gtById.has(k)) gtById.set(k, ids[i]!);
    });
    return new Block(
      keys,
      timeout,
      (c, key) => {
        const s = c.db.get(key);
        const gt = gtById.get(key);
        if (!(s instanceof Stream) || gt === undefined) return undefined;
        if (s.length === 0 || s.lastId <= gt) return undefined;
        const start = incrId(gt);
        if (start === null) return undefined;
        const entries = rangeReply(s, start, ID_MAX, count, false);
        if (entries.length === 0) return undefined;
        return [[key, entries]];
      },
      NULL_ARRAY,
    );
  }
  return NULL_ARRAY;
}

export const commands: Record<string, Handler> = {
  xadd,
  xtrim: (ctx, argv) => {
    const key = argv[1]!;
    const a = parseAddOrTrim(ctx, argv, false);
    if (isErr(a)) return a;
    const s0 = lookupTyped(ctx, key, Stream, true);
    if (isErr(s0)) return s0;
    if (!s0) return 0;
    const n = s0.trim(a.strategy as 'maxlen' | 'minid', a.threshold, a.approx, a.limit);
    if (n > 0) {
      ctx.db.signalModified(key);
      ctx.ks.notify('xtrim', key, ctx.db.id);
    }
    return n;
  },
  xrange: xrangeGeneric(false),
  xrevrange: xrangeGeneric(true),
  xlen: (ctx, argv) => {
    const s = lookupTyped(ctx, argv[1]!, Stream);
    if (isErr(s)) return s;
    return s ? s.length : 0;
  },
  xdel: (ctx, argv) => {
    const ids: StreamId[] = [];
    for (let j = 2; j < argv.length; j++) {
      const p = parseId(argv[j]!, 0n, true, false);
      if (isErr(p)) return p;
      ids.push(p.id);
    }
    const key = argv[1]!;
    const s = lookupTyped(ctx, key, Stream, true);
    if (isErr(s)) return s;
    if (!s) return 0;
    let n = 0;
    for (const id of ids) if (s.deleteId(id)) n++;
    if (n > 0) {
      ctx.db.signalModified(key);
      ctx.ks.notify('xdel', key, ctx.db.id);
    }
    return n;
  },
  xread,
  xsetid: (ctx, argv) => {
    const p = parseId(argv[2]!, 0n, true, false);
    if (isErr(p)) return p;
    let entriesAdded = -1n;
    let maxXdel = 0n;
    for (let i = 3; i < argv.length; i++) {
      const o = argv[i]!.toLowerCase();
      if (o === 'entriesadded' && i + 1 < argv.length) {
        const v = string2ll(argv[++i]!);
        if (v === null) return E.NOT_INT;
        if (v < 0n) return err('ERR entries_added must be positive');
        entriesAdded = v;
      } else if (o === 'maxdeletedid' && i + 1 < argv.length) {
        const q = parseId(argv[++i]!, 0n, true, false);
        if (isErr(q)) return q;
        if (p.id < q.id) return err('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
        maxXdel = q.id;
      } else return E.SYNTAX;
    }
    const key = argv[1]!;
    const s = lookupTyped(ctx, key, Stream, true);
    if (isErr(s)) return s;
    if (!s) return E.NO_KEY;
    if (s.length > 0) {
      const last = s.lastEntry()!;
      if (p.id < last.id) return err('ERR The ID specified in XSETID is smaller than the target stream top item');
      if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
        return err('ERR The entries_added specified in XSETID is smaller than the target stream length');
      }
    }
    s.lastId = p.id;
    if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
    if (maxXdel) s.maxDeletedId = maxXdel;
    ctx.db.signalModified(key);
    ctx.ks.notify('xsetid', key, ctx.db.id);
    return OK;
  },
  'xinfo|stream': (ctx, argv) => {
    const s = lookupTyped(ctx, argv[2]!, Stream);
    if (isErr(s)) return s;
    if (!s) return E.NO_KEY;
    let first: StreamEntry | undefined;
    for (const e of s.iterate(0n, ID_MAX, false)) {
      first = e;
      break;
    }
    const last = s.lastEntry();
    return [
      'length',
      s.length,
      'radix-tree-keys',
      s.nodes.length,
      'radix-tree-nodes',
      s.nodes.length + 1,
      'last-generated-id',
      idToString(s.lastId),
      'max-deleted-entry-id',
      idToString(s.maxDeletedId),
      'entries-added',
      Number(s.entriesAdded),
      'recorded-first-entry-id',
      idToString(first?.id ?? 0n),
      'groups',
      0,
      'first-entry',
      first ? entryReply(first) : null,
      'last-entry',
      last ? entryReply(last) : null,
    ];
  },
};

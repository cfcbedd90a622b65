// Generic key commands: DEL, UNLINK, EXISTS, TYPE, expiry, RENAME, COPY,
// MOVE, KEYS, SCAN, RANDOMKEY, TOUCH, OBJECT.

import { E, OK, Status, err, type Reply } from '../resp/reply.ts';
import { RHash, RList, RSet, Stream, ZSet, typeName, type Value } from '../store/types.ts';
import { string2ll } from '../util/numbers.ts';
import { cstr } from '../util/repr.ts';
import type { Ctx, Handler } from './registry.ts';
import { matches, parseScanArgs, scanStep } from './scan.ts';
import { eq, intArg, isErr } from './util.ts';

function del(ctx: Ctx, argv: string[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i]!;
    if (ctx.db.del(key)) {
      ctx.db.signalModified(key);
      ctx.ks.notify('del', key, ctx.db.id);
      n++;
    }
  }
  return n;
}

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX/XX/GT/LT (expireGenericCommand). */
function expireGeneric(absolute: boolean, seconds: boolean): Handler {
  return (ctx, argv) => {
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    for (let j = 3; j < argv.length; j++) {
      const o = argv[j]!.toLowerCase();
      if (o === 'nx') nx = true;
      else if (o === 'xx') xx = true;
      else if (o === 'gt') gt = true;
      else if (o === 'lt') lt = true;
      else return err(`ERR Unsupported option ${cstr(argv[j]!)}`);
    }
    if ((nx && xx) || (nx && gt) || (nx && lt)) return err('ERR NX and XX, GT or LT options at the same time are not compatible');
    if (gt && lt) return err('ERR GT and LT options at the same time are not compatible');
    let when = string2ll(argv[2]!);
    if (when === null) return E.NOT_INT;
    const invalid = err(`ERR invalid expire time in '${ctx.spec.name}' command`);
    if (seconds) {
      if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) return invalid;
      when *= 1000n;
    }
    const base = absolute ? 0n : BigInt(ctx.ks.now());
    if (when > LLONG_MAX - base) return invalid;
    when += base;
    const key = argv[1]!;
    if (ctx.db.getForWrite(key) === undefined) return 0;
    const whenMs = Number(when);
    if (nx || xx || gt || lt) {
      const cur = ctx.db.getExpire(key);
      if (nx && cur !== undefined) return 0;
      if (xx && cur === undefined) return 0;
      if (gt && (cur === undefined || whenMs <= cur)) return 0;
      if (lt && cur !== undefined && whenMs >= cur) return 0;
    }
    if (whenMs <= ctx.ks.now()) {
      ctx.db.deleteKey(key);
      ctx.db.signalModified(key);
      ctx.ks.notify('del', key, ctx.db.id);
      return 1;
    }
    ctx.db.setExpire(key, whenMs);
    ctx.db.signalModified(key);
    ctx.ks.notify('expire', key, ctx.db.id);
    return 1;
  };
}

function ttlGeneric(ms: boolean, absolute: boolean): Handler {
  return (ctx, argv) => {
    const key = argv[1]!;
    if (ctx.db.get(key) === undefined) return -2;
    const when = ctx.db.getExpire(key);
    if (when === undefined) return -1;
    if (absolute) return ms ? when : Math.floor(when / 1000);
    let ttl = when - ctx.ks.now();
    if (ttl < 0) ttl = 0;
    return ms ? ttl : Math.floor((ttl + 500) / 1000);
  };
}

function renameGeneric(nx: boolean): Handler {
  return (ctx, argv) => {
    const src = argv[1]!;
    const dst = argv[2]!;
    const v = ctx.db.getForWrite(src);
    if (v === undefined) return E.NO_KEY;
    if (src === dst) return nx ? 0 : OK;
    const expire = ctx.db.getExpire(src);
    if (ctx.db.getForWrite(dst) !== undefined) {
      if (nx) return 0;
      ctx.db.deleteKey(dst);
    }
    ctx.db.deleteKey(src);
    ctx.db.set(dst, v);
    if (expire !== undefined) ctx.db.setExpire(dst, expire);
    ctx.db.signalModified(src);
    ctx.db.signalModified(dst);
    ctx.ks.notify('rename_from', src, ctx.db.id);
    ctx.ks.notify('rename_to', dst, ctx.db.id);
    return nx ? 1 : OK;
  };
}

export function cloneValue(v: Value): Value {
  if (typeof v === 'string') return v;
  if (v instanceof RHash) {
    const h = new RHash();
    for (const [f, x] of v.entries()) h.set(f, x);
    return h;
  }
  if (v instanceof RSet) {
    const s = new RSet();
    for (const m of v.s) s.add(m);
    return s;
  }
  if (v instanceof RList) {
    const l = new RList();
    for (const x of v.toArray()) l.push(x);
    return l;
  }
  if (v instanceof ZSet) {
    const z = new ZSet();
    for (const e of v.arr) z.set(e.m, e.s);
    return z;
  }
  const st = new Stream();
  for (const n of v.nodes) for (const e of n.entries) if (!e.deleted) st.append(e.id, e.fields);
  st.lastId = v.lastId;
  st.entriesAdded = v.entriesAdded;
  st.maxDeletedId = v.maxDeletedId;
  return st;
}

function objectEncoding(v: Value): string {
  if (typeof v === 'string') {
    if (v.length <= 20 && string2ll(v) !== null) return 'int';
    return v.length <= 44 ? 'embstr' : 'raw';
  }
  if (v instanceof RHash) {
    if (v.size > 512) return 'hashtable';
    for (const [f, x] of v.entries()) if (f.length > 64 || x.length > 64) return 'hashtable';
    return 'listpack';
  }
  if (v instanceof RList) return 'quicklist';
  if (v instanceof RSet) {
    if (v.size > 512) return 'hashtable';
    for (const m of v.s) if (m.length > 20 || string2ll(m) === null) return 'hashtable';
    return 'intset';
  }
  if (v instanceof ZSet) {
    if (v.size > 128) return 'skiplist';
    for (const m of v.dict.keys()) if (m.length > 64) return 'skiplist';
    return 'listpack';
  }
  return 'stream';
}

export const commands: Record<string, Handler> = {
  del,
  unlink: del,
  exists: (ctx, argv) => {
    let n = 0;
    for (let i = 1; i < argv.length; i++) if (ctx.db.get(argv[i]!) !== undefined) n++;
    return n;
  },
  touch: (ctx, argv) => {
    let n = 0;
    for (let i = 1; i < argv.length; i++) if (ctx.db.get(argv[i]!) !== undefined) n++;
    return n;
  },
  type: (ctx, argv) => {
    const v = ctx.db.get(argv[1]!);
    return new Status(v === undefined ? 'none' : typeName(v));
  },
  expire: expireGeneric(false, true),
  pexpire: expireGeneric(false, false),
  expireat: expireGeneric(true, true),
  pexpireat: expireGeneric(true, false),
  ttl: ttlGeneric(false, false),
  pttl: ttlGeneric(true, false),
  expiretime: ttlGeneric(false, true),
  pexpiretime: ttlGeneric(true, true),
  persist: (ctx, argv) => {
    const key = argv[1]!;
    if (ctx.db.getForWrite(key) === undefined) return 0;
    if (!ctx.db.removeExpire(key)) return 0;
    ctx.db.signalModified(key);
    ctx.ks.notify('persist', key, ctx.db.id);
    return 1;
  },
  rename: renameGeneric(false),
  renamenx: renameGeneric(true),
  copy: (ctx, argv) => {
    const src = argv[1]!;
    const dst = argv[2]!;
    let dbId = ctx.db.id;
    let replace = false;
    for (let i = 3; i < argv.length; i++) {
      if (eq(argv[i]!, 'replace')) replace = true;
      else if (eq(argv[i]!, 'db') && i + 1 < argv.length) {
        const n = intArg(argv[++i]!);
        if (isErr(n)) return n;
        if (n < 0 || n >= ctx.ks.dbs.length) return E.DB_RANGE;
        dbId = n;
      } else return E.SYNTAX;
    }
    const target = ctx.ks.dbs[dbId]!;
    if (src === dst && target === ctx.db) return err('ERR source and destination objects are the same');
    const v = ctx.db.getForWrite(src);
    if (v === undefined) return 0;
    const expire = ctx.db.getExpire(src);
    if (target.getForWrite(dst) !== undefined) {
      if (!replace) return 0;
      target.deleteKey(dst);
    }
    target.set(dst, cloneValue(v));
    if (expire !== undefined) target.setExpire(dst, expire);
    target.signalModified(dst);
    ctx.ks.notify('copy_to', dst, target.id);
    return 1;
  },
  move: (ctx, argv) => {
    const key = argv[1]!;
    const n = intArg(argv[2]!);
    if (isErr(n)) return n;
    if (n < 0 || n >= ctx.ks.dbs.length) return E.DB_RANGE;
    const target = ctx.ks.dbs[n]!;
    if (target === ctx.db) return err('ERR source and destination objects are the same');
    const v = ctx.db.getForWrite(key);
    if (v === undefined) return 0;
    if (target.getForWrite(key) !== undefined) return 0;
    const expire = ctx.db.getExpire(key);
    ctx.db.deleteKey(key);
    target.set(key, v);
    if (expire !== undefined) target.setExpire(key, expire);
    ctx.db.signalModified(key);
    target.signalModified(key);
    ctx.ks.notify('move_from', key, ctx.db.id);
    ctx.ks.notify('move_to', key, target.id);
    return 1;
  },
  randomkey: (ctx) => ctx.db.randomKey() ?? null,
  keys: (ctx, argv) => {
    const pattern = argv[1]!;
    const all = pattern === '*';
    const out: string[] = [];
    const now = ctx.ks.now();
    for (const key of ctx.db.dict.keys()) {
      if (!all && !matches(pattern, key)) continue;
      const when = ctx.db.expires.get(key);
      if (when !== undefined && when <= now) continue;
      out.push(key);
    }
    return out;
  },
  scan: (ctx, argv) => {
    const o = parseScanArgs(argv, 1, true);
    if (isErr(o)) return o;
    const { next, names } = scanStep(ctx.db.dict.keys(), o.cursor, o.count);
    const out: string[] = [];
    for (const key of names) {
      if (!matches(o.match, key)) continue;
      const v = ctx.db.peek(key);
      if (v === undefined) continue;
      if (o.type !== null && typeName(v) !== o.type.toLowerCase()) continue;
      if (ctx.db.expireIfNeeded(key)) continue;
      out.push(key);
    }
    return [String(next), out];
  },
  'object|encoding': (ctx, argv) => {
    const v = ctx.db.peek(argv[2]!);
    if (v === undefined || ctx.db.expireIfNeeded(argv[2]!)) return null;
    return objectEncoding(v);
  },
  'object|refcount': (ctx, argv) => (ctx.db.get(argv[2]!) === undefined ? null : 1),
  'object|idletime': (ctx, argv) => (ctx.db.get(argv[2]!) === undefined ? null : 0),
  'object|freq': () => err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
  'object|help': () => [
    'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'ENCODING <key>',
    '    Return the kind of internal representation used in order to store the value',
    '    associated with a <key>.',
    'FREQ <key>',
    '    Return the access frequency index of the <key>. The returned integer is',
    '    proportional to the logarithm of the recent access frequency of the key.',
    'IDLETIME <key>',
    '    Return the idle time of the <key>, that is the approximated number of',
    '    seconds elapsed since the last access to the key.',
    'REFCOUNT <key>',
    '    Return the number of references of the value associated with the specified',
    '    <key>.',
    'HELP',
    '    Print this help.',
  ],
  'memory|usage': (ctx, argv) => {
    const v = ctx.db.get(argv[2]!);
    if (v === undefined) return null;
    return 56 + argv[2]!.length + (typeof v === 'string' ? v.length + 16 : v.bytes);
  },
};

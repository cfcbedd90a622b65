// EVAL / EVALSHA / SCRIPT on Lua 5.4 (wasmoon's WebAssembly build), driven
// through Lua's C API so that:
//   * KEYS, ARGV and every redis.call argument and reply cross byte for byte;
//   * integer replies become Lua integers (a float would print as "1.0");
//   * numbers passed to redis.call are formatted with "%.17g" like Redis 7.0;
//   * conversions both ways follow script_lua.c (nil -> false, status ->
//     {ok=}, error -> {err=} raised by call / returned by pcall; numbers
//     truncated, true -> 1, false -> nil, tables cut at the first nil);
//   * errors read "... script: <sha>, on @user_script:<line>." as in Redis.
//
// Scripts run inside a Lua coroutine. An instruction-count hook checks the
// clock: past busy-reply-threshold the script yields back to the event loop
// between slices, other clients get BUSY, and SCRIPT KILL can stop it.

import { createHash } from 'node:crypto';
import { E, ErrorReply, LazyArray, NULL_ARRAY, Sequence, Status, err, type Reply } from '../resp/reply.ts';
import type { Server } from '../server.ts';
import type { Client } from '../client.ts';
import { Block, type CommandSpec } from '../commands/registry.ts';
import { formatG } from '../util/numbers.ts';
import { fullGc } from '../util/gc.ts';
import { REDIS_VERSION } from '../commands/server.ts';
import { PRELUDE, PRELUDE_CHUNKNAME } from './prelude.ts';
import { Bytes, LUA_MASKCOUNT, LUA_MASKLINE, LUA_OK, LUA_REGISTRYINDEX, LUA_YIELD, OutBuf, OutOfLuaMemory, T, big, loadLuaModule, type LuaModule } from './wasm.ts';
import { MsgPack } from './msgpack.ts';
import { JsonEncoder } from './json.ts';

const HOOK_INSTRUCTIONS = 100000;
/** While a timed-out script runs, yield to the event loop this often (ms). */
const SLICE_MS = 20;
const MAX_REPLY_DEPTH = 1000;
/**
 * A redis.call reply is copied into a Lua table in one go, inside a C call nothing can
 * interrupt (no BUSY, no SCRIPT KILL meanwhile), into a Lua heap WebAssembly caps at 2 GB.
 * Redis builds any size (SRANDMEMBER s -100000000 answers after about a minute at 2.4 GB);
 * the broker refuses, before building anything, a reply past these bounds (about 2 s of
 * copying here, a quarter of the Lua heap).
 */
export const SCRIPT_REPLY_MAX_ITEMS = 4 * 1024 * 1024;
export const SCRIPT_REPLY_MAX_BYTES = 512 * 1024 * 1024;
/** Past this much WebAssembly memory, the Lua module is replaced once the script ends. */
const VM_SHRINK_ABOVE = 64 * 1024 * 1024;
/** Thrown while a reply is copied into Lua, past SCRIPT_REPLY_MAX_ITEMS/BYTES. */
class ReplyTooLarge extends Error {
  readonly what: string;
  constructor(what: string) {
    super(what);
    this.what = what;
  }
}
/** Not a Lua status: a script yielded out of itself. */
const LUA_ERRRUN_YIELD = -1;

export interface ScriptFlags {
  compat: boolean;
  noWrites: boolean;
  allowOom: boolean;
  allowStale: boolean;
  noCluster: boolean;
  allowCrossSlot: boolean;
}

interface Script {
  sha: string;
  body: string;
  ref: number;
  /** ref as the lua_Integer lua_rawgeti takes, made once per Lua state. */
  refBig: bigint;
  flags: ScriptFlags;
}

interface Run {
  sha: string;
  caller: Client;
  db: number;
  readOnly: boolean;
  allowOom: boolean;
  preOom: boolean;
  writeDirty: boolean;
  start: number;
  sliceStart: number;
  timedOut: boolean;
  killed: boolean;
  /** When the hook first found the script where it cannot yield (0: it could). */
  unyieldableSince: number;
  resolve: ((r: Reply) => void) | null;
}

export function sha1hex(s: string): string {
  return createHash('sha1').update(Buffer.from(s, 'latin1')).digest('hex');
}

const SHEBANG_FLAGS: Record<string, keyof ScriptFlags> = {
  'no-writes': 'noWrites',
  'allow-oom': 'allowOom',
  'allow-stale': 'allowStale',
  'no-cluster': 'noCluster',
  'allow-cross-slot-keys': 'allowCrossSlot',
};

/** evalExtractShebangFlags: flags and the length of the shebang line (without its newline). */
export function extractShebang(body: string): { flags: ScriptFlags; len: number } | ErrorReply {
  const flags: ScriptFlags = { compat: true, noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlot: false };
  if (!body.startsWith('#!')) return { flags, len: 0 };
  const nl = body.indexOf('\n');
  if (nl < 0) return err('ERR Invalid script shebang');
  const parts = body.slice(0, nl).split(/[ \t\r\v\f]+/).filter(Boolean);
  if (parts.length === 0) return err('ERR Invalid engine in script shebang');
  if (parts[0] !== '#!lua') return err(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  flags.compat = false;
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return err(`ERR Unknown lua shebang option: ${part}`);
    // "flags=" with an empty list is no flags at all (sdssplitlen of "" gives nothing).
    for (const f of part.length === 6 ? [] : part.slice(6).split(',')) {
      const key = SHEBANG_FLAGS[f];
      if (!key) return err(`ERR Unexpected flag in script shebang: ${f}`);
      flags[key] = true;
    }
  }
  return { flags, len: nl };
}

export class Scripting {
  readonly srv: Server;
  private m!: LuaModule;
  private b!: Bytes;
  private L = 0;
  private co = 0;
  private coRef = 0;
  private runRef = 0;
  private memRef = 0;
  private hookPtr = 0;
  private fnPtrs: number[] = [];
  private nresPtr = 0;
  readonly scripts = new Map<string, Script>();
  run: Run | null = null;
  /** The time hook yielded (as opposed to a script's own coroutine.yield). */
  private hookYield = false;
  preCommandOom = false;
  private closed = false;
  /** Functions registered once per module (shared by Lua states across SCRIPT FLUSH). */
  private cfuncs = new Map<string, number>();
  private json: JsonEncoder | null = null;

  private constructor(srv: Server) {
    this.srv = srv;
  }

  static async create(srv: Server, wasmPath?: string): Promise<Scripting> {
    const s = new Scripting(srv);
    s.wasmPath = wasmPath;
    s.adopt(await loadLuaModule(wasmPath));
    s.initState();
    return s;
  }

  private wasmPath: string | undefined;
  /** A fresh module being loaded, or loaded and waiting for the running script to end. */
  private replacing: Promise<void> | null = null;
  private replacement: LuaModule | null = null;
  /** What the redis.call reply being copied into Lua may still take (see SCRIPT_REPLY_MAX_ITEMS). */
  private itemsLeft = 0;
  private bytesLeft = 0;

  private adopt(m: LuaModule): void {
    this.m = m;
    this.b = new Bytes(m);
    this.nresPtr = m._malloc(8);
    this.fnPtrs = [];
    this.cfuncs = new Map();
    this.registerFunctions();
  }

  /** Bytes of WebAssembly memory the Lua VM holds (INFO used_memory_vm_eval). */
  vmBytes(): number {
    return this.m?.HEAPU8.length ?? 0;
  }

  /**
   * WebAssembly memory only grows: after a script that needed a lot of it, the
   * whole module is replaced by a fresh one (the cached scripts compiled again,
   * cjson settings kept as SCRIPT FLUSH would not), and the old one is left to
   * the garbage collector.
   */
  private maybeShrink(): void {
    if (this.closed || this.replacing || this.vmBytes() <= VM_SHRINK_ABOVE) return;
    // The fresh module takes a moment to load: until then, what the big script left must be
    // free for the next one (after an out-of-memory error, nothing else would be).
    this.collectNow();
    this.replacing = loadLuaModule(this.wasmPath).then(
      (m) => {
        this.replacement = m;
        this.swapIfIdle();
      },
      (e) => {
        this.replacing = null;
        this.srv.log('warning', `could not load a fresh Lua module: ${(e as Error)?.message ?? e}`);
      },
    );
  }

  private swapIfIdle(): void {
    const m = this.replacement;
    if (!m || this.run) return;
    this.replacement = null;
    this.replacing = null;
    if (this.closed) return;
    const oldM = this.m;
    const oldL = this.L;
    const depth = this.json?.maxDepth ?? 1000;
    this.adopt(m);
    this.L = 0;
    this.coRef = 0;
    this.initState();
    this.json!.maxDepth = depth;
    for (const script of this.scripts.values()) {
      const sh = extractShebang(script.body);
      const code = sh instanceof ErrorReply ? script.body : script.body.slice(sh.len);
      const p = this.b.write(code);
      if (this.m._luaL_loadbufferx(this.L, p, code.length, this.b.c('@user_script'), 0) !== LUA_OK) {
        this.m._lua_settop(this.L, 0);
        this.scripts.delete(script.sha);
        continue;
      }
      script.ref = this.m._luaL_ref(this.L, LUA_REGISTRYINDEX);
      script.refBig = BigInt(script.ref);
    }
    if (oldL) oldM._lua_close(oldL);
    // The old module's memory goes at V8's next full collection, which an idle broker may not
    // reach for a long time: ask for one now (a rare event, after a script of many megabytes).
    setImmediate(() => fullGc());
  }

  get busyClient(): Client | null {
    return this.run && this.run.timedOut ? this.run.caller : null;
  }

  /** A script exceeded busy-reply-threshold and is still running. */
  isBusy(): boolean {
    return this.run !== null && this.run.timedOut;
  }

  scriptCount(): number {
    return this.scripts.size;
  }

  /** A full collection in the current Lua state. */
  private collectNow(): void {
    if (!this.L || this.run) return;
    const m = this.m;
    const L = this.L;
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.memRef));
    m._lua_pushboolean(L, 1);
    m._lua_pcallk(L, 1, 1, 0, 0, 0);
    m._lua_settop(L, 0);
  }

  memoryUsage(): number {
    if (!this.L || this.run) return 0;
    const m = this.m;
    const L = this.L;
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.memRef));
    if (m._lua_pcallk(L, 0, 1, 0, 0, 0) !== LUA_OK) {
      m._lua_settop(L, 0);
      return 0;
    }
    const kb = m._lua_tonumberx(L, -1, 0);
    m._lua_settop(L, 0);
    return Math.round(kb * 1024);
  }

  // -------------------------------------------------------------------------
  // Lua state

  private registerFunctions(): void {
    const m = this.m;
    const add = (name: string, fn: (L: number) => number) => {
      const p = m.addFunction(fn as (...args: never[]) => unknown, 'ii');
      this.fnPtrs.push(p);
      this.cfuncs.set(name, p);
    };
    add('call', (L) => this.redisCall(L, true));
    add('pcall', (L) => this.redisCall(L, false));
    add('sha1hex', (L) => this.luaSha1hex(L));
    add('log', (L) => this.luaLog(L));
    add('setresp', (L) => this.luaSetresp(L));
    add('set_repl', (L) => this.luaSetRepl(L));
    add('acl_check_cmd', (L) => this.luaAclCheck(L));
    add('error_reply', (L) => this.luaErrorReply(L));
    add('status_reply', (L) => this.luaStatusReply(L));
    add('error', (L) => this.luaError(L));
    // Did the time hook just yield a coroutine? (the prelude's coroutine.resume passes it up)
    add('hook_pending', (L) => {
      m._lua_pushboolean(L, this.hookYield ? 1 : 0);
      return 1;
    });
    // cmsgpack and cjson.encode in TypeScript (msgpack.ts, json.ts). A
    // JavaScript exception (a bug, or the JS stack exhausted by deeply nested
    // input) must not unwind through Lua's C frames: it becomes a Lua error.
    // Lua's own errors are longjmps, thrown by the glue as numbers: passed on.
    const native = (name: string, fn: (L: number) => number) =>
      add(name, (L) => {
        try {
          return fn(L);
        } catch (e) {
          if (typeof e === 'number') throw e;
          return this.b.raise(L, `internal error in ${name}: ${(e as Error)?.message ?? e}`);
        }
      });
    const out = new OutBuf();
    const mp = new MsgPack(m, this.b, out);
    native('msgpack_pack', (L) => mp.pack(L));
    native('msgpack_unpack', (L) => mp.unpack(L));
    native('msgpack_unpack_one', (L) => mp.unpackOne(L));
    native('msgpack_unpack_limit', (L) => mp.unpackLimit(L));
    const json = new JsonEncoder(m, this.b, out);
    native('json_encode', (L) => json.encode(L));
    this.json = json;
    // cjson.encode_max_depth's setter (arguments checked in the prelude): sets when given, returns the depth.
    add('json_max_depth', (L) => {
      if (m._lua_gettop(L) >= 1 && m._lua_type(L, 1) === T.NUMBER) json.maxDepth = Number(m._lua_tointegerx(L, 1, 0));
      m._lua_settop(L, 0);
      m._lua_pushinteger(L, big(json.maxDepth));
      return 1;
    });
    const tramp = m.addFunction(((L: number) => this.trampoline(L)) as (...args: never[]) => unknown, 'ii');
    this.fnPtrs.push(tramp);
    add('wrap', (L) => {
      m._lua_settop(L, 1);
      m._lua_pushcclosure(L, tramp, 1);
      return 1;
    });
    this.hookPtr = m.addFunction(((L: number) => this.hook(L)) as (...args: never[]) => unknown, 'vii');
  }

  private initState(): void {
    const m = this.m;
    const b = this.b;
    const L = m._luaL_newstate();
    this.L = L;
    if (this.json) this.json.maxDepth = 1000;
    m._luaL_openlibs(L);
    // Table of C functions handed to the prelude.
    m._lua_createtable(L, 0, 16);
    for (const [name, p] of this.cfuncs) {
      m._lua_pushcclosure(L, p, 0);
      m._lua_setfield(L, -2, b.c(name));
    }
    m._lua_pushlightuserdata(L, 0);
    m._lua_setfield(L, -2, b.c('null'));
    b.push(L, REDIS_VERSION);
    m._lua_setfield(L, -2, b.c('version'));
    const [maj, min, pat] = REDIS_VERSION.split('.').map(Number);
    m._lua_pushinteger(L, BigInt((maj! << 16) | (min! << 8) | pat!));
    m._lua_setfield(L, -2, b.c('version_num'));
    // Load and run the prelude with that table as its argument.
    const src = PRELUDE;
    const p = b.write(src);
    if (m._luaL_loadbufferx(L, p, src.length, b.c(PRELUDE_CHUNKNAME), 0) !== LUA_OK) {
      throw new Error('prelude does not compile: ' + b.read(L, -1));
    }
    m._lua_rotate(L, -2, 1); // function below the C table
    if (m._lua_pcallk(L, 1, 1, 0, 0, 0) !== LUA_OK) {
      throw new Error('prelude failed: ' + b.read(L, -1));
    }
    m._lua_getfield(L, -1, b.c('run'));
    this.runRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_settop(L, 0);
    // A helper for INFO's used_memory_lua; called with true, it collects in full first.
    const memSrc = "if ... then collectgarbage('collect') end return collectgarbage('count')";
    const mp = b.write(memSrc);
    m._luaL_loadbufferx(L, mp, memSrc.length, b.c('=mem'), 0);
    this.memRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    this.newThread();
  }

  private newThread(): void {
    const m = this.m;
    const L = this.L;
    if (this.coRef) m._luaL_unref(L, LUA_REGISTRYINDEX, this.coRef);
    this.co = m._lua_newthread(L);
    this.coRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  /** SCRIPT FLUSH: forget every script and start from a fresh Lua state (like scriptingReset). */
  reset(): void {
    if (this.L) this.m._lua_close(this.L);
    this.L = 0;
    this.coRef = 0;
    this.scripts.clear();
    this.initState();
  }

  close(): void {
    this.closed = true;
    if (this.run?.resolve) {
      const r = this.run.resolve;
      this.run = null;
      r(err('ERR server shutting down'));
    }
    if (this.L) this.m._lua_close(this.L);
    this.L = 0;
  }

  // -------------------------------------------------------------------------
  // Compilation

  /** luaCreateFunction: compile and cache; returns the script or the error reply. */
  createFunction(body: string): Script | ErrorReply {
    const sha = sha1hex(body);
    const existing = this.scripts.get(sha);
    if (existing) return existing;
    const sh = extractShebang(body);
    if (sh instanceof ErrorReply) return sh;
    const m = this.m;
    const L = this.L;
    const code = body.slice(sh.len);
    const p = this.b.write(code);
    if (m._luaL_loadbufferx(L, p, code.length, this.b.c('@user_script'), 0) !== LUA_OK) {
      let msg = this.b.read(L, -1);
      m._lua_settop(L, 0);
      // Lua 5.1 quoted the end-of-stream token.
      msg = msg.replace(/ near <eof>$/, " near '<eof>'");
      return err(`ERR Error compiling script (new function): ${msg}`.replace(/[\r\n]/g, ' '));
    }
    const ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const script: Script = { sha, body, ref, refBig: BigInt(ref), flags: sh.flags };
    this.scripts.set(sha, script);
    return script;
  }

  /** A cached script by SHA1, in either case (clients send lowercase: no lowercased copy then). */
  private lookupSha(sha: string): Script | undefined {
    return this.scripts.get(sha) ?? this.scripts.get(sha.toLowerCase());
  }

  /** evalGetCommandFlags: a script with a shebang is deny-oom unless allow-oom or no-writes. */
  commandDenyOom(name: string, argv: string[]): boolean {
    if (argv.length < 2) return false;
    let flags: ScriptFlags | undefined;
    if (name === 'eval' || name === 'eval_ro') {
      const cached = this.scripts.get(sha1hex(argv[1]!));
      if (cached) flags = cached.flags;
      else {
        const sh = extractShebang(argv[1]!);
        if (sh instanceof ErrorReply) return false;
        flags = sh.flags;
      }
    } else if (name === 'evalsha' || name === 'evalsha_ro') {
      flags = this.lookupSha(argv[1]!)?.flags;
    }
    if (!flags || flags.compat) return false;
    return !flags.allowOom && !flags.noWrites;
  }

  // -------------------------------------------------------------------------
  // Running

  /** evalGenericCommand. */
  eval(caller: Client, argv: string[], opts: { sha: boolean; ro: boolean }): Reply | Promise<Reply> {
    const numkeysArg = argv[2]!;
    const nk = /^(0|-?[1-9]\d{0,17})$/.test(numkeysArg) ? Number(numkeysArg) : NaN;
    if (Number.isNaN(nk)) return E.NOT_INT;
    if (nk > argv.length - 3) return err("ERR Number of keys can't be greater than number of args");
    if (nk < 0) return err("ERR Number of keys can't be negative");
    let script: Script | undefined;
    if (opts.sha) {
      script = this.lookupSha(argv[1]!);
      if (!script) return err('NOSCRIPT No matching script. Please use EVAL.');
    } else {
      const s = this.createFunction(argv[1]!);
      if (s instanceof ErrorReply) return s;
      script = s;
    }
    const f = script.flags;
    if (!f.compat) {
      if (!f.noWrites) {
        if (opts.ro) return err('ERR Can not execute a script with write flag using *_ro command.');
      }
      if (this.preCommandOom && Number(this.srv.config.get('maxmemory')) > 0 && !f.allowOom && !f.noWrites) {
        return err("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
      }
    }
    const keys = argv.slice(3, 3 + nk);
    const args = argv.slice(3 + nk);
    return this.runScript(script, caller, keys, args, opts.ro || (!f.compat && f.noWrites), !f.compat && f.allowOom);
  }

  private pushArray(L: number, items: string[]): void {
    const m = this.m;
    m._lua_createtable(L, items.length, 0);
    for (let i = 0; i < items.length; i++) {
      this.b.push(L, items[i]!);
      m._lua_rawseti(L, -2, big(i + 1));
    }
  }

  private runScript(script: Script, caller: Client, keys: string[], args: string[], readOnly: boolean, allowOom: boolean): Reply | Promise<Reply> {
    const m = this.m;
    if (this.run) return err('ERR a script is already running');
    if (m._lua_status(this.co) !== LUA_OK) this.newThread();
    const co = this.co;
    const now = Date.now();
    this.run = {
      sha: script.sha,
      caller,
      db: caller.db,
      readOnly,
      allowOom,
      preOom: this.preCommandOom,
      writeDirty: false,
      start: now,
      sliceStart: now,
      timedOut: false,
      killed: false,
      unyieldableSince: 0,
      resolve: null,
    };
    this.srv.luaClient.db = caller.db;
    const threshold = Number(this.srv.config.get('busy-reply-threshold'));
    m._lua_sethook(co, threshold > 0 ? this.hookPtr : 0, threshold > 0 ? LUA_MASKCOUNT : 0, HOOK_INSTRUCTIONS);
    m._lua_settop(co, 0);
    m._lua_checkstack(co, 8);
    m._lua_rawgeti(co, LUA_REGISTRYINDEX, big(this.runRef));
    m._lua_rawgeti(co, LUA_REGISTRYINDEX, script.refBig);
    this.pushArray(co, keys);
    this.pushArray(co, args);
    const status = m._lua_resume(co, this.L, 3, this.nresPtr);
    return this.afterResume(status);
  }

  private afterResume(status: number): Reply | Promise<Reply> {
    const run = this.run!;
    if (status === LUA_YIELD && !this.hookYield) {
      // Not the time hook: the script yielded out of itself (the prelude's coroutine.yield
      // refuses this; this guards any other path). Atomicity forbids resuming it later.
      this.newThread();
      status = LUA_ERRRUN_YIELD;
    }
    this.hookYield = false;
    if (status === LUA_YIELD) {
      if (run.resolve) {
        setImmediate(() => this.continueRun());
        return NULL_ARRAY; // ignored: the promise is already out
      }
      return new Promise<Reply>((resolve) => {
        run.resolve = resolve;
        setImmediate(() => this.continueRun());
      });
    }
    const reply = this.finish(status);
    this.run = null;
    this.swapIfIdle();
    this.maybeShrink();
    if (run.resolve) {
      run.resolve(reply);
      return reply;
    }
    return reply;
  }

  private continueRun(): void {
    if (this.closed || !this.run) return;
    this.run.sliceStart = Date.now();
    const status = this.m._lua_resume(this.co, this.L, 0, this.nresPtr);
    this.afterResume(status);
  }

  /** Turn the finished coroutine's results into the reply. */
  private finish(status: number): Reply {
    const m = this.m;
    const co = this.co;
    const run = this.run!;
    let reply: Reply;
    if (status === LUA_OK) {
      const nres = m.HEAP32[this.nresPtr >> 2]!;
      const base = m._lua_gettop(co) - nres + 1;
      const ok = nres >= 1 && m._lua_toboolean(co, base) !== 0;
      if (ok) {
        reply = nres >= 2 ? this.toReply(co, base + 1, 0) : null;
      } else {
        reply = this.errorFromObject(co, base + 1, run.sha);
      }
      m._lua_settop(co, 0);
    } else if (status === LUA_ERRRUN_YIELD) {
      reply = err(`ERR attempt to yield across metamethod/C-call boundary script: ${run.sha}`);
    } else {
      const msg = m._lua_type(co, -1) === T.STRING ? this.b.read(co, -1) : 'execution failure';
      reply = err(`ERR Error running script f_${run.sha}, ${msg.slice(0, 100)}`);
      this.newThread();
    }
    return reply;
  }

  /** The error table produced by the error handler -> "-<msg> script: <sha>, on <source>:<line>." */
  private errorFromObject(L: number, idx: number, sha: string): ErrorReply {
    const m = this.m;
    const b = this.b;
    if (m._lua_type(L, idx) !== T.TABLE) {
      const msg = m._lua_type(L, idx) === T.STRING ? b.read(L, idx) : 'execution failure';
      return err(`ERR Error running script f_${sha}, ${msg.slice(0, 100)}`);
    }
    const field = (name: string): string | null => {
      b.push(L, name);
      m._lua_rawget(L, idx);
      const t = m._lua_type(L, -1);
      let v: string | null = null;
      if (t === T.STRING) v = b.read(L, -1);
      else if (t === T.NUMBER) v = m._lua_isinteger(L, -1) ? String(m._lua_tointegerx(L, -1, 0)) : formatG(m._lua_tonumberx(L, -1, 0), 14);
      m._lua_settop(L, -2);
      return v;
    };
    const msg = field('err') ?? 'ERR unknown error';
    const source = field('source');
    const line = field('line');
    let out = msg;
    if (line !== null && source !== null) out += ` script: ${sha}, on ${source}:${line}.`;
    return new ErrorReply(out);
  }

  // -------------------------------------------------------------------------
  // Conversions

  /** luaReplyToRedisReply for the value at idx. */
  private toReply(L: number, idx: number, depth: number): Reply {
    const m = this.m;
    const b = this.b;
    const t = m._lua_type(L, idx);
    switch (t) {
      case T.STRING:
        return b.read(L, idx);
      case T.BOOLEAN:
        return m._lua_toboolean(L, idx) ? 1 : null;
      case T.NUMBER: {
        if (m._lua_isinteger(L, idx)) {
          // Below 2^53 in magnitude the double is exact: no BigInt needed.
          const d = m._lua_tonumberx(L, idx, 0);
          if (d > -9007199254740992 && d < 9007199254740992) return d;
          const v = m._lua_tointegerx(L, idx, 0);
          return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
        }
        const d = m._lua_tonumberx(L, idx, 0);
        // (long long) cast: truncation; out of range and NaN give LLONG_MIN on x86.
        if (!Number.isFinite(d) || d >= 9223372036854775808 || d < -9223372036854775808) return -9223372036854775808n;
        const tr = Math.trunc(d);
        return Number.isSafeInteger(tr) ? tr : BigInt(tr);
      }
      case T.TABLE:
        break;
      default:
        return null;
    }
    if (depth > MAX_REPLY_DEPTH || !m._lua_checkstack(L, 4)) return err('ERR reached lua stack limit');
    const abs = idx < 0 ? m._lua_gettop(L) + idx + 1 : idx;
    const get = (name: string): number => {
      b.push(L, name);
      return m._lua_rawget(L, abs);
    };
    if (get('err') === T.STRING) {
      const msg = b.read(L, -1);
      m._lua_settop(L, -2);
      return new ErrorReply(msg);
    }
    m._lua_settop(L, -2);
    if (get('ok') === T.STRING) {
      const s = b.read(L, -1);
      m._lua_settop(L, -2);
      return new Status(s);
    }
    m._lua_settop(L, -2);
    if (get('double') === T.NUMBER) {
      const d = m._lua_tonumberx(L, -1, 0);
      m._lua_settop(L, -2);
      return formatG(d, 17);
    }
    m._lua_settop(L, -2);
    if (get('big_number') === T.STRING) {
      const s = b.read(L, -1).replace(/[\r\n]/g, ' ');
      m._lua_settop(L, -2);
      return s;
    }
    m._lua_settop(L, -2);
    if (get('map') === T.TABLE) {
      const out: Reply[] = [];
      const mapIdx = m._lua_gettop(L);
      m._lua_pushnil(L);
      while (m._lua_next(L, mapIdx) !== 0) {
        out.push(this.toReply(L, -2, depth + 1));
        out.push(this.toReply(L, -1, depth + 1));
        m._lua_settop(L, -2);
      }
      m._lua_settop(L, -2);
      return out;
    }
    m._lua_settop(L, -2);
    if (get('set') === T.TABLE) {
      const out: Reply[] = [];
      const setIdx = m._lua_gettop(L);
      m._lua_pushnil(L);
      while (m._lua_next(L, setIdx) !== 0) {
        out.push(this.toReply(L, -2, depth + 1));
        m._lua_settop(L, -2);
      }
      m._lua_settop(L, -2);
      return out;
    }
    m._lua_settop(L, -2);
    const out: Reply[] = [];
    for (let j = 1; ; j++) {
      const ty = m._lua_rawgeti(L, abs, big(j));
      if (ty === T.NIL) {
        m._lua_settop(L, -2);
        break;
      }
      out.push(this.toReply(L, -1, depth + 1));
      m._lua_settop(L, -2);
    }
    return out;
  }

  /** Push an error table {err = "CODE message"} following luaPushErrorBuff. */
  private pushErrorTable(L: number, error: string): void {
    let code = 'ERR';
    let msg = error;
    if (error.startsWith('-')) {
      const sp = error.indexOf(' ');
      if (sp < 0) msg = error.slice(1);
      else {
        code = error.slice(1, sp);
        msg = error.slice(sp + 1);
      }
    }
    msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
    const m = this.m;
    m._lua_createtable(L, 0, 2);
    this.b.push(L, `${code} ${msg}`);
    m._lua_setfield(L, -2, this.b.c('err'));
  }

  /** Charge n array elements against the reply's bound (SCRIPT_REPLY_MAX_ITEMS). */
  private takeItems(n: bigint): void {
    if (n > BigInt(this.itemsLeft)) {
      throw new ReplyTooLarge(this.itemsLeft === SCRIPT_REPLY_MAX_ITEMS ? `${n} elements` : `more than ${SCRIPT_REPLY_MAX_ITEMS} elements`);
    }
    this.itemsLeft -= Number(n);
  }

  /** redisProtocolToLuaType for a reply. */
  private pushReply(L: number, r: Reply, depth = 0): void {
    const m = this.m;
    if (depth > MAX_REPLY_DEPTH) {
      m._lua_pushboolean(L, 0);
      return;
    }
    if (typeof r === 'string') {
      if ((this.bytesLeft -= r.length) < 0) throw new ReplyTooLarge(`more than ${SCRIPT_REPLY_MAX_BYTES} bytes of strings`);
      this.b.push(L, r);
    } else if (r === null || r === NULL_ARRAY) m._lua_pushboolean(L, 0);
    // Redis's Lua has only doubles: integers beyond 2^53 arrive rounded, as floats.
    else if (typeof r === 'number') {
      if (Number.isSafeInteger(r)) m._lua_pushinteger(L, big(r));
      else m._lua_pushnumber(L, r);
    } else if (typeof r === 'bigint') {
      if (r >= -9007199254740991n && r <= 9007199254740991n) m._lua_pushinteger(L, r);
      else m._lua_pushnumber(L, Number(r));
    }
    else if (r instanceof Status) {
      m._lua_createtable(L, 0, 1);
      this.b.push(L, r.s);
      m._lua_setfield(L, -2, this.b.c('ok'));
    } else if (r instanceof ErrorReply) {
      this.pushErrorTable(L, '-' + r.msg);
    } else if (r instanceof Sequence) {
      this.pushReply(L, r.replies[0] ?? null, depth);
    } else if (r instanceof LazyArray) {
      // Straight into a Lua table (a script asked for it; replyTooLarge bounded it).
      if (!m._lua_checkstack(L, 3)) {
        m._lua_pushboolean(L, 0);
        return;
      }
      // The length is known before any item is made: a count past the bound costs nothing.
      this.takeItems(r.length);
      m._lua_createtable(L, 0, 0);
      let i = 1;
      for (let n = r.items.next(); !n.done; n = r.items.next()) {
        this.pushReply(L, n.value, depth + 1);
        m._lua_rawseti(L, -2, big(i++));
      }
    } else {
      // Stack room is checked per table, not per element: a value needs at most
      // two slots (a status or error table and its string), and the C function
      // starts with LUA_MINSTACK free for the top-level reply.
      if (!m._lua_checkstack(L, 3)) {
        m._lua_pushboolean(L, 0);
        return;
      }
      this.takeItems(BigInt(r.length));
      m._lua_createtable(L, r.length, 0);
      for (let i = 0; i < r.length; i++) {
        this.pushReply(L, r[i]!, depth + 1);
        m._lua_rawseti(L, -2, big(i + 1));
      }
    }
  }

  // -------------------------------------------------------------------------
  // C functions called from Lua. Each may end with lua_error, which unwinds
  // (longjmp) through this JavaScript frame: nothing may follow it.

  private raise(L: number): number {
    return this.m._lua_error(L);
  }

  private redisCall(L: number, raise: boolean): number {
    let failed: boolean;
    try {
      failed = this.redisCallInner(L, raise);
    } catch (e) {
      // Lua raising an error (out of memory in lua_createtable/lua_pushlstring) is a longjmp,
      // which Emscripten throws as a number: it must reach Lua's own handler, which makes it
      // the script's error. Swallowing it here would leave the Lua state half unwound.
      if (typeof e === 'number') throw e;
      this.m._lua_settop(L, 0);
      this.pushErrorTable(L, e instanceof OutOfLuaMemory ? '-ERR not enough memory' : `-ERR internal error: ${(e as Error)?.message ?? e}`);
      failed = raise;
    }
    if (failed) return this.raise(L);
    return 1;
  }

  /** luaRedisGenericCommand; returns true when the error on the stack must be raised. */
  private redisCallInner(L: number, raise: boolean): boolean {
    const m = this.m;
    const b = this.b;
    const run = this.run;
    if (!run) {
      this.pushErrorTable(L, 'redis.call/pcall can only be called inside a script invocation');
      return raise;
    }
    const argc = m._lua_gettop(L);
    if (argc === 0) {
      this.pushErrorTable(L, 'Please specify at least one argument for this redis lib call');
      return raise;
    }
    const argv: string[] = [];
    let bad = false;
    for (let i = 1; i <= argc; i++) {
      const t = m._lua_type(L, i);
      if (t === T.NUMBER) {
        if (m._lua_isinteger(L, i)) {
          // Below 2^53 in magnitude the double is exact and prints the same digits, without a BigInt.
          const d = m._lua_tonumberx(L, i, 0);
          if (d > -9007199254740992 && d < 9007199254740992) argv.push(String(d));
          else {
            const v = m._lua_tointegerx(L, i, 0);
            argv.push(v >= -9007199254740992n && v <= 9007199254740992n ? v.toString() : formatG(Number(v), 17));
          }
        } else {
          argv.push(formatG(m._lua_tonumberx(L, i, 0), 17));
        }
      } else if (t === T.STRING) {
        argv.push(b.read(L, i));
      } else {
        bad = true;
        break;
      }
    }
    m._lua_settop(L, 0);
    if (bad) {
      this.pushErrorTable(L, 'Lua redis lib command arguments must be strings or integers');
      return raise;
    }
    const reply = this.scriptCall(run, argv);
    this.itemsLeft = SCRIPT_REPLY_MAX_ITEMS;
    this.bytesLeft = SCRIPT_REPLY_MAX_BYTES;
    try {
      this.pushReply(L, reply);
    } catch (e) {
      if (!(e instanceof ReplyTooLarge)) throw e;
      // Drop the part already built; the script sees an error reply instead.
      m._lua_settop(L, 0);
      this.pushErrorTable(
        L,
        `-ERR ${argv[0]!.toUpperCase()} reply too large for a script: ${e.what}; one redis.call reply may hold at most ${SCRIPT_REPLY_MAX_ITEMS} elements and ${SCRIPT_REPLY_MAX_BYTES / 1024 / 1024} MB of strings`,
      );
      return raise;
    }
    return raise && reply instanceof ErrorReply;
  }

  /** scriptCall: checks, then the command, as the Lua client. */
  private scriptCall(run: Run, argv: string[]): Reply {
    const srv = this.srv;
    const base = srv.registry.lookup(argv[0]!);
    let spec: CommandSpec | undefined = base;
    if (base?.subcommands && argv.length >= 2) spec = base.subcommands.get(argv[1]!.toLowerCase());
    if (!spec) return err('ERR Unknown Redis command called from script');
    if ((spec.arity > 0 && spec.arity !== argv.length) || argv.length < -spec.arity) {
      return err('ERR Wrong number of args calling Redis command from script');
    }
    if (spec.noscript) return err('ERR This Redis command is not allowed from script');
    if (run.readOnly && spec.write) return err('ERR Write commands are not allowed from read-only scripts.');
    if (!run.allowOom && !run.writeDirty && run.preOom && spec.denyoom && Number(srv.config.get('maxmemory')) > 0) {
      return E.OOM;
    }
    if (spec.write) run.writeDirty = true;
    const lc = srv.luaClient;
    lc.db = run.db;
    let r: Reply | Block | Promise<Reply>;
    try {
      r = srv.exec(lc, spec, argv, true, true);
    } catch (e) {
      r = err(`ERR internal error: ${(e as Error)?.message ?? e}`);
    }
    run.db = lc.db;
    if (r instanceof Block) r = r.timeoutReply;
    if (r instanceof Promise) r = err('ERR command not supported in scripts');
    srv.afterQueued(lc, spec, argv, r);
    return r;
  }

  private luaSha1hex(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1) {
      this.pushErrorTable(L, 'wrong number of arguments');
      return this.raise(L);
    }
    const t = m._lua_type(L, 1);
    let s = '';
    if (t === T.STRING) s = this.b.read(L, 1);
    else if (t === T.NUMBER) s = m._lua_isinteger(L, 1) ? String(m._lua_tointegerx(L, 1, 0)) : formatG(m._lua_tonumberx(L, 1, 0), 14);
    m._lua_settop(L, 0);
    this.b.push(L, sha1hex(s));
    return 1;
  }

  private luaLog(L: number): number {
    const m = this.m;
    const argc = m._lua_gettop(L);
    if (argc < 2) {
      this.pushErrorTable(L, 'redis.log() requires two arguments or more.');
      return this.raise(L);
    }
    if (m._lua_type(L, 1) !== T.NUMBER) {
      this.pushErrorTable(L, 'First argument must be a number (log level).');
      return this.raise(L);
    }
    const level = m._lua_tonumberx(L, 1, 0);
    if (level < 0 || level > 3) {
      this.pushErrorTable(L, 'Invalid debug level.');
      return this.raise(L);
    }
    const parts: string[] = [];
    for (let i = 2; i <= argc; i++) {
      const t = m._lua_type(L, i);
      if (t === T.STRING) parts.push(this.b.read(L, i));
      else if (t === T.NUMBER) parts.push(m._lua_isinteger(L, i) ? String(m._lua_tointegerx(L, i, 0)) : formatG(m._lua_tonumberx(L, i, 0), 14));
    }
    m._lua_settop(L, 0);
    const names = ['debug', 'verbose', 'notice', 'warning'];
    this.srv.log(names[Math.trunc(level)]!, parts.join(' '));
    return 0;
  }

  private luaSetresp(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1) {
      this.pushErrorTable(L, 'redis.setresp() requires one argument.');
      return this.raise(L);
    }
    const v = m._lua_tonumberx(L, 1, 0);
    if (v !== 2 && v !== 3) {
      this.pushErrorTable(L, 'RESP version must be 2 or 3.');
      return this.raise(L);
    }
    m._lua_settop(L, 0);
    return 0;
  }

  private luaSetRepl(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1) {
      this.pushErrorTable(L, 'redis.set_repl() requires one argument.');
      return this.raise(L);
    }
    const v = m._lua_tonumberx(L, 1, 0);
    if (v < 0 || v > 3 || !Number.isInteger(v)) {
      this.pushErrorTable(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
      return this.raise(L);
    }
    m._lua_settop(L, 0);
    return 0;
  }

  private luaAclCheck(L: number): number {
    const m = this.m;
    const argc = m._lua_gettop(L);
    const argv: string[] = [];
    for (let i = 1; i <= argc; i++) {
      if (m._lua_type(L, i) === T.STRING) argv.push(this.b.read(L, i));
      else argv.push(String(m._lua_tonumberx(L, i, 0)));
    }
    m._lua_settop(L, 0);
    const spec = argv.length ? this.srv.resolve(argv) : null;
    if (!spec || spec instanceof ErrorReply) {
      this.pushErrorTable(L, 'Invalid command passed to redis.acl_check_cmd()');
      return this.raise(L);
    }
    m._lua_pushboolean(L, 1);
    return 1;
  }

  private luaErrorReply(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1 || m._lua_type(L, -1) !== T.STRING) {
      m._lua_settop(L, 0);
      this.pushErrorTable(L, 'wrong number or type of arguments');
      return 1;
    }
    const e = this.b.read(L, 1);
    m._lua_settop(L, 0);
    this.pushErrorTable(L, e.startsWith('-') ? e : '-' + e);
    return 1;
  }

  private luaStatusReply(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1 || m._lua_type(L, -1) !== T.STRING) {
      m._lua_settop(L, 0);
      this.pushErrorTable(L, 'wrong number or type of arguments');
      return 1;
    }
    const s = this.b.read(L, 1);
    m._lua_settop(L, 0);
    m._lua_createtable(L, 0, 1);
    this.b.push(L, s);
    m._lua_setfield(L, -2, this.b.c('ok'));
    return 1;
  }

  /**
   * Calls the Lua function in upvalue 1 with all arguments. Library functions
   * written in Lua are exposed through this C frame so that a script's
   * 'return cjson.encode(x)' is not a Lua tail call (which would erase the
   * script's frame, and with it the line reported in errors).
   */
  private trampoline(L: number): number {
    const m = this.m;
    const n = m._lua_gettop(L);
    m._lua_pushvalue(L, LUA_REGISTRYINDEX - 1);
    m._lua_rotate(L, 1, 1);
    m._lua_callk(L, n, -1, 0, 0);
    return m._lua_gettop(L);
  }

  /** Lua 5.1's error(): string and number messages get the caller's position. */
  private luaError(L: number): number {
    const m = this.m;
    let level = 1;
    if (m._lua_gettop(L) >= 2 && m._lua_type(L, 2) === T.NUMBER) level = Number(m._lua_tointegerx(L, 2, 0));
    m._lua_settop(L, 1);
    const t = m._lua_type(L, 1);
    if (t === T.NUMBER) {
      const s = m._lua_isinteger(L, 1) ? String(m._lua_tointegerx(L, 1, 0)) : formatG(m._lua_tonumberx(L, 1, 0), 14);
      m._lua_settop(L, 0);
      this.b.push(L, s);
    }
    if ((t === T.STRING || t === T.NUMBER) && level > 0) {
      m._luaL_where(L, level);
      m._lua_pushvalue(L, 1);
      m._lua_concat(L, 2);
    }
    return this.raise(L);
  }

  /** The instruction-count hook: timeouts, yielding to the event loop, SCRIPT KILL. */
  private hook(L: number): void {
    const run = this.run;
    if (!run) return;
    if (run.killed) {
      this.srv.log('warning', 'Lua script killed by user with SCRIPT KILL.');
      this.m._lua_sethook(L, this.hookPtr, LUA_MASKLINE, 0);
      this.pushErrorTable(L, 'Script killed by user with SCRIPT KILL...');
      this.raise(L);
      return;
    }
    const now = Date.now();
    if (!run.timedOut) {
      const threshold = Number(this.srv.config.get('busy-reply-threshold'));
      if (now - run.start < threshold) return;
      run.timedOut = true;
      run.sliceStart = 0;
      this.srv.log(
        'warning',
        `Slow script detected: still in execution after ${now - run.start} milliseconds. You can try killing the script using the SCRIPT KILL command. Script name is: ${run.sha}.`,
      );
    }
    if (now - run.sliceStart < SLICE_MS) return;
    if (this.m._lua_isyieldable(L)) {
      // Any coroutine of the script: the prelude's resume passes the yield up to ours.
      run.unyieldableSince = 0;
      this.hookYield = true;
      this.m._lua_yieldk(L, 0, 0, 0);
      return;
    }
    // Inside a C function that called back into Lua (a sort comparator, a gsub callback, a
    // metamethod) nothing can yield, so no other client is served. Rather than hold the
    // broker for good, such a script is stopped once it has spent another threshold there.
    if (!run.unyieldableSince) run.unyieldableSince = now;
    const threshold = Math.max(1000, Number(this.srv.config.get('busy-reply-threshold')));
    if (now - run.unyieldableSince >= threshold) {
      this.srv.log('warning', `Lua script stopped: it ran for ${now - run.start} ms where it could not be interrupted.`);
      this.m._lua_sethook(L, this.hookPtr, LUA_MASKLINE, 0);
      run.killed = true;
      this.pushErrorTable(L, `Script stopped: it ran past busy-reply-threshold inside a function that cannot be interrupted (a sort comparator, a gsub callback or a metamethod)`);
      this.raise(L);
    }
  }

  /** SCRIPT KILL. */
  kill(): Reply {
    const run = this.run;
    if (!run || !run.timedOut) return err('NOTBUSY No scripts in execution right now.');
    if (run.writeDirty) {
      return err(
        'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
      );
    }
    run.killed = true;
    return new Status('OK');
  }
}

// Thin, allocation-conscious access to Lua's C API inside wasmoon's
// WebAssembly module. wasmoon's own interop converts values through UTF-8
// and costs microseconds per call; here strings cross as raw bytes
// (lua_pushlstring / lua_tolstring on wasm memory) and numbers keep their
// integer/float distinction.

import { LuaWasm } from 'wasmoon';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Raw exports of the Emscripten module (underscore-prefixed C functions). */
export interface LuaModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  HEAP32: Int32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  addFunction(fn: (...args: never[]) => unknown, sig: string): number;
  removeFunction(p: number): void;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _lua_close(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  _lua_pcallk(L: number, nargs: number, nres: number, msgh: number, ctx: number, k: number): number;
  _lua_callk(L: number, nargs: number, nres: number, ctx: number, k: number): void;
  _lua_resume(L: number, from: number, nargs: number, nresPtr: number): number;
  _lua_status(L: number): number;
  _lua_newthread(L: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_rotate(L: number, idx: number, n: number): void;
  _lua_checkstack(L: number, n: number): number;
  _lua_xmove(from: number, to: number, n: number): void;
  _lua_type(L: number, idx: number): number;
  _lua_isinteger(L: number, idx: number): number;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  _lua_toboolean(L: number, idx: number): number;
  _lua_tolstring(L: number, idx: number, len: number): number;
  _lua_rawlen(L: number, idx: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushlightuserdata(L: number, p: number): void;
  _lua_getglobal(L: number, name: number): number;
  _lua_setglobal(L: number, name: number): void;
  _lua_getfield(L: number, idx: number, k: number): number;
  _lua_setfield(L: number, idx: number, k: number): void;
  _lua_rawget(L: number, idx: number): number;
  _lua_rawgeti(L: number, idx: number, n: bigint): number;
  _lua_rawset(L: number, idx: number): void;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_next(L: number, idx: number): number;
  _lua_error(L: number): number;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
  _lua_yieldk(L: number, nres: number, ctx: number, k: number): number;
  _lua_isyieldable(L: number): number;
  _luaL_where(L: number, level: number): void;
  _lua_concat(L: number, n: number): void;
}

export const LUA_REGISTRYINDEX = -1001000;
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_MULTRET = -1;
export const LUA_MASKCOUNT = 8;
export const LUA_MASKLINE = 4;

export const T = {
  NONE: -1,
  NIL: 0,
  BOOLEAN: 1,
  LIGHTUSERDATA: 2,
  NUMBER: 3,
  STRING: 4,
  TABLE: 5,
  FUNCTION: 6,
  USERDATA: 7,
  THREAD: 8,
} as const;

/** lua_typename, for messages (NONE is "no value" as in luaL_typeerror). */
export const TYPE_NAMES: Record<number, string> = {
  [-1]: 'no value',
  0: 'nil',
  1: 'boolean',
  2: 'userdata',
  3: 'number',
  4: 'string',
  5: 'table',
  6: 'function',
  7: 'userdata',
  8: 'thread',
};

/** Small non-negative lua_Integer values (table indices, counts), allocated once instead of per call. */
const SMALL_INTS: bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));
/** A safe integer as the BigInt the i64 C API parameters take. */
export const big = (n: number): bigint => (n >= 0 && n < 4096 ? SMALL_INTS[n]! : BigInt(n));

/** Location of wasmoon's glue.wasm: next to the wasmoon entry point Node resolves from here. */
export function defaultWasmPath(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('wasmoon')), 'glue.wasm');
  } catch {
    return fileURLToPath(new URL('../../node_modules/wasmoon/dist/glue.wasm', import.meta.url));
  }
}

export async function loadLuaModule(wasmPath?: string): Promise<LuaModule> {
  // wasmoon's build wraps every exported C function in an assertion shim
  // (`function(){ check runtime; L[name].apply(null, arguments) }`) that costs
  // more than the call itself on hot paths (a redis.call makes a dozen). The
  // raw exports of the instance are the same functions without the shim, so
  // the instance is caught as the glue instantiates it.
  const wa = WebAssembly as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const orig = { instantiate: wa.instantiate!, instantiateStreaming: wa.instantiateStreaming };
  // Other modules may instantiate wasm meanwhile (undici's llhttp when fetch
  // first runs): the instance kept is the one whose memory is the glue's heap.
  const instances: WebAssembly.Instance[] = [];
  const catchInstance = (r: unknown) => {
    const inst = (r as { instance?: WebAssembly.Instance })?.instance ?? r;
    if (inst instanceof WebAssembly.Instance) instances.push(inst);
    return r;
  };
  try {
    wa.instantiate = (...a: unknown[]) => orig.instantiate.apply(WebAssembly, a).then(catchInstance);
    if (orig.instantiateStreaming) wa.instantiateStreaming = (...a: unknown[]) => orig.instantiateStreaming!.apply(WebAssembly, a).then(catchInstance);
  } catch {
    // A read-only WebAssembly object: keep the glue's shims.
  }
  let lua: Awaited<ReturnType<typeof LuaWasm.initialize>>;
  const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
  try {
    // An explicit path keeps wasmoon from guessing (it would reach for a CDN in browsers).
    lua = await LuaWasm.initialize(wasmPath ?? defaultWasmPath());
  } finally {
    // The glue's debug build defines getters on globalThis (messages about missing library
    // symbols) whose closures hold the module, and with it its whole wasm memory, forever:
    // a module replaced to give memory back must be collectable.
    for (const name of Object.getOwnPropertyNames(globalThis)) {
      if (globalsBefore.has(name)) continue;
      const d = Object.getOwnPropertyDescriptor(globalThis, name);
      if (d?.get && d.configurable) delete (globalThis as Record<string, unknown>)[name];
    }
    try {
      wa.instantiate = orig.instantiate;
      if (orig.instantiateStreaming) wa.instantiateStreaming = orig.instantiateStreaming;
    } catch {
      // Never replaced.
    }
  }
  const mod = lua.module as unknown as LuaModule & Record<string, unknown>;
  const heap = mod.HEAPU8.buffer;
  const own = instances.find((i) => (i.exports.memory as WebAssembly.Memory | undefined)?.buffer === heap);
  return fastModule(mod, own?.exports as Record<string, unknown> | undefined);
}

/**
 * A small object with own, fixed-shape properties (the Emscripten module is a
 * large dictionary-mode object): raw wasm exports where available, the glue's
 * functions otherwise; the heap views read through to the module, which
 * replaces them when memory grows.
 */
function fastModule(mod: LuaModule & Record<string, unknown>, raw: Record<string, unknown> | undefined): LuaModule {
  const fn = (key: string) => {
    const r = raw?.[key.slice(1)];
    return (typeof r === 'function' ? r : mod[key]) as never;
  };
  const fast = new FastModule(mod);
  for (const key of Object.keys(fast)) {
    if (key.startsWith('_')) (fast as unknown as Record<string, unknown>)[key] = fn(key);
  }
  return fast;
}

/** The functions the broker uses, as own fields (filled in by fastModule). */
class FastModule implements LuaModule {
  private readonly mod: LuaModule;
  constructor(mod: LuaModule) {
    this.mod = mod;
    this.addFunction = mod.addFunction.bind(mod);
    this.removeFunction = mod.removeFunction.bind(mod);
  }
  get HEAPU8(): Uint8Array {
    return this.mod.HEAPU8;
  }
  get HEAPU32(): Uint32Array {
    return this.mod.HEAPU32;
  }
  get HEAP32(): Int32Array {
    return this.mod.HEAP32;
  }
  addFunction: LuaModule['addFunction'];
  removeFunction: LuaModule['removeFunction'];
  _malloc = U as LuaModule['_malloc'];
  _free = U as LuaModule['_free'];
  _luaL_newstate = U as LuaModule['_luaL_newstate'];
  _luaL_openlibs = U as LuaModule['_luaL_openlibs'];
  _lua_close = U as LuaModule['_lua_close'];
  _luaL_loadbufferx = U as LuaModule['_luaL_loadbufferx'];
  _lua_pcallk = U as LuaModule['_lua_pcallk'];
  _lua_callk = U as LuaModule['_lua_callk'];
  _lua_resume = U as LuaModule['_lua_resume'];
  _lua_status = U as LuaModule['_lua_status'];
  _lua_newthread = U as LuaModule['_lua_newthread'];
  _lua_gettop = U as LuaModule['_lua_gettop'];
  _lua_settop = U as LuaModule['_lua_settop'];
  _lua_pushvalue = U as LuaModule['_lua_pushvalue'];
  _lua_rotate = U as LuaModule['_lua_rotate'];
  _lua_checkstack = U as LuaModule['_lua_checkstack'];
  _lua_xmove = U as LuaModule['_lua_xmove'];
  _lua_type = U as LuaModule['_lua_type'];
  _lua_isinteger = U as LuaModule['_lua_isinteger'];
  _lua_tonumberx = U as LuaModule['_lua_tonumberx'];
  _lua_tointegerx = U as LuaModule['_lua_tointegerx'];
  _lua_toboolean = U as LuaModule['_lua_toboolean'];
  _lua_tolstring = U as LuaModule['_lua_tolstring'];
  _lua_rawlen = U as LuaModule['_lua_rawlen'];
  _lua_pushnil = U as LuaModule['_lua_pushnil'];
  _lua_pushnumber = U as LuaModule['_lua_pushnumber'];
  _lua_pushinteger = U as LuaModule['_lua_pushinteger'];
  _lua_pushlstring = U as LuaModule['_lua_pushlstring'];
  _lua_pushcclosure = U as LuaModule['_lua_pushcclosure'];
  _lua_pushboolean = U as LuaModule['_lua_pushboolean'];
  _lua_pushlightuserdata = U as LuaModule['_lua_pushlightuserdata'];
  _lua_getglobal = U as LuaModule['_lua_getglobal'];
  _lua_setglobal = U as LuaModule['_lua_setglobal'];
  _lua_getfield = U as LuaModule['_lua_getfield'];
  _lua_setfield = U as LuaModule['_lua_setfield'];
  _lua_rawget = U as LuaModule['_lua_rawget'];
  _lua_rawgeti = U as LuaModule['_lua_rawgeti'];
  _lua_rawset = U as LuaModule['_lua_rawset'];
  _lua_rawseti = U as LuaModule['_lua_rawseti'];
  _lua_createtable = U as LuaModule['_lua_createtable'];
  _lua_next = U as LuaModule['_lua_next'];
  _lua_error = U as LuaModule['_lua_error'];
  _luaL_ref = U as LuaModule['_luaL_ref'];
  _luaL_unref = U as LuaModule['_luaL_unref'];
  _lua_sethook = U as LuaModule['_lua_sethook'];
  _lua_yieldk = U as LuaModule['_lua_yieldk'];
  _lua_isyieldable = U as LuaModule['_lua_isyieldable'];
  _luaL_where = U as LuaModule['_luaL_where'];
  _lua_concat = U as LuaModule['_lua_concat'];
}

/** Placeholder until fastModule assigns the real function. */
function U(): never {
  throw new Error('Lua module function not bound');
}

/** Node's Buffer with its (undocumented, long-standing) latin1 methods, which skip argument handling. */
type Latin1Buffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length: number): number;
};

/** The Lua module's WebAssembly memory could not hold a string on its way in. */
export class OutOfLuaMemory extends Error {
  constructor() {
    super('not enough memory');
  }
}

/** Byte-exact string transfer between JS byte strings and wasm memory. */
export class Bytes {
  readonly m: LuaModule;
  private scratch = 0;
  private scratchSize = 0;
  readonly lenPtr: number;
  private cstrs = new Map<string, number>();
  private heapView: Latin1Buffer | null = null;
  private heapViewOf: Uint8Array | null = null;

  constructor(m: LuaModule) {
    this.m = m;
    this.lenPtr = m._malloc(8);
  }

  /** A NUL-terminated constant (cached for the life of the module). */
  c(s: string): number {
    let p = this.cstrs.get(s);
    if (p === undefined) {
      p = this.m._malloc(s.length + 1);
      const heap = this.m.HEAPU8;
      for (let i = 0; i < s.length; i++) heap[p + i] = s.charCodeAt(i);
      heap[p + s.length] = 0;
      this.cstrs.set(s, p);
    }
    return p;
  }

  /** Scratch memory for n bytes (valid until the next call). */
  private alloc(n: number): number {
    if (n + 1 > this.scratchSize) {
      if (this.scratch) this.m._free(this.scratch);
      this.scratchSize = Math.max(4096, 2 ** Math.ceil(Math.log2(n + 1)));
      this.scratch = this.m._malloc(this.scratchSize);
      // Out of WebAssembly memory (Lua holds up to 2 GB): writing at 0 would wreck the heap.
      if (!this.scratch) {
        this.scratchSize = 0;
        throw new OutOfLuaMemory();
      }
    }
    return this.scratch;
  }

  /** Copy a byte string into scratch memory; returns its pointer (valid until the next call). */
  write(s: string): number {
    const n = s.length;
    const p = this.alloc(n);
    const heap = this.m.HEAPU8;
    if (n < 64) {
      for (let i = 0; i < n; i++) heap[p + i] = s.charCodeAt(i);
    } else {
      this.view(heap).latin1Write(s, p, n);
    }
    return p;
  }

  push(L: number, s: string): void {
    const p = this.write(s);
    this.m._lua_pushlstring(L, p, s.length);
    if (this.scratchSize > 1 << 20) this.release();
  }

  /** Push the bytes built in out as one Lua string. */
  pushBytes(L: number, out: OutBuf): void {
    const n = out.n;
    const p = this.alloc(n);
    this.m.HEAPU8.set(out.buf.subarray(0, n), p);
    this.m._lua_pushlstring(L, p, n);
    if (this.scratchSize > 1 << 20) this.release();
    out.done();
  }

  /**
   * Raise msg as a Lua error, after the caller's position when where is set
   * (luaL_error from a C function). lua_error unwinds through the calling
   * JavaScript frames: nothing may follow a call to this.
   */
  raise(L: number, msg: string, where = true): number {
    if (where) this.m._luaL_where(L, 1);
    this.push(L, msg);
    if (where) this.m._lua_concat(L, 2);
    return this.m._lua_error(L);
  }

  /** Give a large scratch area back (after a big argument went by). */
  release(): void {
    if (this.scratch) this.m._free(this.scratch);
    this.scratch = 0;
    this.scratchSize = 0;
  }

  /** Read the string at idx (caller checked it is a string: no number conversion in place). */
  read(L: number, idx: number): string {
    const m = this.m;
    const p = m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return '';
    const len = m.HEAPU32[this.lenPtr >> 2]!;
    const heap = m.HEAPU8;
    if (len < 16) {
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(heap[p + i]!);
      return s;
    }
    return this.view(heap).latin1Slice(p, p + len);
  }

  /** A Buffer over the whole heap, made again when memory growth replaced the views. */
  private view(heap: Uint8Array): Latin1Buffer {
    let v = this.heapView;
    // The module's HEAPU8 object changes exactly when memory grows: compare it, not the buffers.
    if (v === null || this.heapViewOf !== heap) {
      this.heapViewOf = heap;
      v = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength) as Latin1Buffer;
      if (typeof v.latin1Slice !== 'function' || typeof v.latin1Write !== 'function') {
        // Buffer implementations without Node's latin1 fast paths.
        v.latin1Slice = function (this: Buffer, start: number, end: number) {
          return this.toString('latin1', start, end);
        };
        v.latin1Write = function (this: Buffer, str: string, offset: number, length: number) {
          return this.write(str, offset, length, 'latin1');
        };
      }
      this.heapView = v;
    }
    return v;
  }
}

/** A growable byte buffer for results built in JavaScript (cmsgpack.pack, cjson.encode) before they become one Lua string. */
export class OutBuf {
  buf = new Uint8Array(1024);
  n = 0;
  private readonly f32 = new Float32Array(1);
  private readonly f64 = new Float64Array(1);
  private readonly f32b = new Uint8Array(this.f32.buffer);
  private readonly f64b = new Uint8Array(this.f64.buffer);

  /** Room for k more bytes. */
  room(k: number): Uint8Array {
    if (this.n + k > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.n + k) size *= 2;
      const nb = new Uint8Array(size);
      nb.set(this.buf.subarray(0, this.n));
      this.buf = nb;
    }
    return this.buf;
  }

  /** After the bytes were taken: start again, and drop a buffer a large value grew. */
  done(): void {
    this.n = 0;
    if (this.buf.length > 1 << 20) this.buf = new Uint8Array(1024);
  }

  byte(x: number): void {
    const b = this.room(1);
    b[this.n++] = x;
  }

  /** A byte then a big-endian unsigned integer of size bytes (1, 2 or 4). */
  head(x: number, v: number, size: number): void {
    const b = this.room(size + 1);
    let n = this.n;
    b[n++] = x;
    for (let sh = (size - 1) * 8; sh >= 0; sh -= 8) b[n++] = (v >>> sh) & 0xff;
    this.n = n;
  }

  /** A byte then a big-endian 64-bit two's complement integer given as its high and low 32-bit halves. */
  head64(x: number, hi: number, lo: number): void {
    const b = this.room(9);
    let n = this.n;
    b[n++] = x;
    for (let sh = 24; sh >= 0; sh -= 8) b[n++] = (hi >>> sh) & 0xff;
    for (let sh = 24; sh >= 0; sh -= 8) b[n++] = (lo >>> sh) & 0xff;
    this.n = n;
  }

  float32(x: number, v: number): void {
    this.f32[0] = v;
    const b = this.room(5);
    const s = this.f32b;
    b[this.n] = x;
    // Host order is little-endian (wasm and every JS engine target); msgpack is big-endian.
    b[this.n + 1] = s[3]!;
    b[this.n + 2] = s[2]!;
    b[this.n + 3] = s[1]!;
    b[this.n + 4] = s[0]!;
    this.n += 5;
  }

  float64(x: number, v: number): void {
    this.f64[0] = v;
    const b = this.room(9);
    const s = this.f64b;
    b[this.n] = x;
    for (let i = 0; i < 8; i++) b[this.n + 1 + i] = s[7 - i]!;
    this.n += 9;
  }

  /** Append a Latin-1 string (bytes below 256). */
  ascii(s: string): void {
    const b = this.room(s.length);
    let n = this.n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    this.n = n;
  }

  /** Append len bytes of wasm memory. */
  copy(heap: Uint8Array, p: number, len: number): void {
    const b = this.room(len);
    if (len < 32) {
      let n = this.n;
      for (let i = 0; i < len; i++) b[n++] = heap[p + i]!;
    } else {
      b.set(heap.subarray(p, p + len), this.n);
    }
    this.n += len;
  }
}

/** Reads big-endian floats from wasm memory. */
export class FloatReader {
  private readonly f32 = new Float32Array(1);
  private readonly f64 = new Float64Array(1);
  private readonly f32b = new Uint8Array(this.f32.buffer);
  private readonly f64b = new Uint8Array(this.f64.buffer);

  float32(heap: Uint8Array, p: number): number {
    const s = this.f32b;
    s[3] = heap[p]!;
    s[2] = heap[p + 1]!;
    s[1] = heap[p + 2]!;
    s[0] = heap[p + 3]!;
    return this.f32[0]!;
  }

  float64(heap: Uint8Array, p: number): number {
    const s = this.f64b;
    for (let i = 0; i < 8; i++) s[7 - i] = heap[p + i]!;
    return this.f64[0]!;
  }
}

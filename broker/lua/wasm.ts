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

/** Location of wasmoon's glue.wasm: next to the wasmoon entry point Node resolves from here. */
export function defaultWasmPath(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('wasmoon')), 'glue.wasm');
  } catch {
    return fileURLToPath(new URL('../../node_modules/wasmoon/dist/glue.wasm', import.meta.url));
  }
}

export async function loadLuaModule(wasmPath?: string): Promise<LuaModule> {
  // An explicit path keeps wasmoon from guessing (it would reach for a CDN in browsers).
  const lua = await LuaWasm.initialize(wasmPath ?? defaultWasmPath());
  return lua.module as unknown as LuaModule;
}

/** Byte-exact string transfer between JS byte strings and wasm memory. */
export class Bytes {
  readonly m: LuaModule;
  private scratch = 0;
  private scratchSize = 0;
  readonly lenPtr: number;
  private cstrs = new Map<string, number>();

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

  /** Copy a byte string into scratch memory; returns its pointer (valid until the next call). */
  write(s: string): number {
    const n = s.length;
    if (n + 1 > this.scratchSize) {
      if (this.scratch) this.m._free(this.scratch);
      this.scratchSize = Math.max(4096, 2 ** Math.ceil(Math.log2(n + 1)));
      this.scratch = this.m._malloc(this.scratchSize);
    }
    const p = this.scratch;
    const heap = this.m.HEAPU8;
    if (n < 64) {
      for (let i = 0; i < n; i++) heap[p + i] = s.charCodeAt(i);
    } else {
      Buffer.from(heap.buffer, heap.byteOffset + p, n).write(s, 'latin1');
    }
    return p;
  }

  push(L: number, s: string): void {
    const p = this.write(s);
    this.m._lua_pushlstring(L, p, s.length);
    if (this.scratchSize > 1 << 20) this.release();
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
    if (len < 32) {
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(heap[p + i]!);
      return s;
    }
    return Buffer.from(heap.buffer, heap.byteOffset + p, len).toString('latin1');
  }
}

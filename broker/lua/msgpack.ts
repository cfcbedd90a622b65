// cmsgpack (lua-cmsgpack as bundled by Redis 7) as C functions written in
// TypeScript. The Lua version spent most of its time in string.pack, string
// building and table traversal in the interpreter; here values cross the C
// API once each, and string bytes are copied straight between Lua's memory
// and a byte buffer, never turned into JavaScript strings.
//
// Behaviour follows redis-server 7 (checked with redis-cli against it):
//   pack:   numbers as Lua 5.1's doubles: integral values within int64 in the smallest int
//           type; other floats as float32 when exact, else float64; strings
//           as fixstr/str8/str16/str32; tables as arrays when their keys are
//           exactly 1..n, else maps (in `next` order); a table nested 16 deep
//           and any other type (nil, functions, cjson.null) as nil.
//   unpack: values beyond 2^53 and floats follow Lua 5.1's doubles (integral
//           values within 2^53 but -0.0 become Lua integers, like the
//           prelude's normnum); uint64 is read as int64, bin and ext types are "Bad data
//           format", a nil or NaN map key raises like lua_settable; numbers
//           are accepted as their "%.14g" string (luaL_checklstring).
//   Tables are filled one key at a time from empty, as Lua code (and Lua 5.1's
//   lua_settable) would, so `#t` and `next` order come out the same.

import { FloatReader, OutBuf, T, TYPE_NAMES, big, type Bytes, type LuaModule } from './wasm.ts';
import { formatG } from '../util/numbers.ts';

const MAX_NESTING = 16;
const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
const TWO63 = 9223372036854775808;

/** What decode() pushed, where lua_settable cares. */
const VALUE = 0;
const NIL = 1;
const NAN = 2;

export class MsgPack {
  private readonly m: LuaModule;
  private readonly b: Bytes;
  private readonly out: OutBuf;
  private readonly floats = new FloatReader();
  private readonly isnumPtr: number;
  /** Decoder cursor and end, as wasm addresses. */
  private pos = 0;
  private end = 0;

  constructor(m: LuaModule, b: Bytes, out: OutBuf) {
    this.m = m;
    this.b = b;
    this.out = out;
    this.isnumPtr = m._malloc(4);
  }

  // -------------------------------------------------------------------------
  // pack

  pack(L: number): number {
    const m = this.m;
    const n = m._lua_gettop(L);
    if (n === 0) return this.b.raise(L, "bad argument #0 to 'pack' (MessagePack pack needs input.)");
    // Two slots (key, value) per nesting level at most.
    if (!m._lua_checkstack(L, 2 * MAX_NESTING + 4)) return this.b.raise(L, 'stack overflow');
    this.out.n = 0;
    for (let i = 1; i <= n; i++) this.encode(L, i, 0);
    m._lua_settop(L, 0);
    this.b.pushBytes(L, this.out);
    return 1;
  }

  /** Encode the value at the absolute index idx. */
  private encode(L: number, idx: number, level: number): void {
    const m = this.m;
    const out = this.out;
    switch (m._lua_type(L, idx)) {
      case T.STRING: {
        const p = m._lua_tolstring(L, idx, this.b.lenPtr);
        const len = m.HEAPU32[this.b.lenPtr >> 2]!;
        if (len < 32) out.byte(0xa0 | len);
        else if (len <= 0xff) out.head(0xd9, len, 1);
        else if (len <= 0xffff) out.head(0xda, len, 2);
        else out.head(0xdb, len, 4);
        out.copy(m.HEAPU8, p, len);
        return;
      }
      case T.BOOLEAN:
        out.byte(m._lua_toboolean(L, idx) ? 0xc3 : 0xc2);
        return;
      case T.NUMBER:
        this.number(L, idx);
        return;
      case T.TABLE:
        if (level < MAX_NESTING) {
          this.table(L, idx, level);
          return;
        }
        break;
    }
    out.byte(0xc0);
  }

  private number(L: number, idx: number): void {
    // Redis's Lua numbers are doubles: a Lua integer beyond 2^53 is taken as
    // the double it rounds to, as a literal or result in Redis would be.
    const d = this.m._lua_tonumberx(L, idx, 0);
    if (Number.isInteger(d) && d >= -TWO63 && d < TWO63) {
      // Integral values (including -0.0) are integers, as lua-cmsgpack's int64 test.
      if (d > -TWO53 && d < TWO53) this.int(d === 0 ? 0 : d);
      else this.int64(BigInt(d));
    } else if (Math.fround(d) === d) {
      this.out.float32(0xca, d);
    } else {
      this.out.float64(0xcb, d);
    }
  }

  /** A safe integer in the smallest msgpack int type. */
  private int(n: number): void {
    const out = this.out;
    if (n >= 0) {
      if (n <= 127) out.byte(n);
      else if (n <= 0xff) out.head(0xcc, n, 1);
      else if (n <= 0xffff) out.head(0xcd, n, 2);
      else if (n <= 0xffffffff) out.head(0xce, n, 4);
      else out.head64(0xcf, Math.floor(n / TWO32), n >>> 0);
    } else {
      if (n >= -32) out.byte(n & 0xff);
      else if (n >= -128) out.head(0xd0, n & 0xff, 1);
      else if (n >= -32768) out.head(0xd1, n & 0xffff, 2);
      else if (n >= -2147483648) out.head(0xd2, n >>> 0, 4);
      else {
        const hi = Math.floor(n / TWO32);
        out.head64(0xd3, hi, n - hi * TWO32);
      }
    }
  }

  /** An integer beyond 2^53 in magnitude: always 64 bits. */
  private int64(v: bigint): void {
    const hi = Number(BigInt.asIntN(32, v >> 32n));
    const lo = Number(BigInt.asUintN(32, v));
    this.out.head64(v >= 0n ? 0xcf : 0xd3, hi, lo);
  }

  private table(L: number, idx: number, level: number): void {
    const m = this.m;
    const out = this.out;
    const top = m._lua_gettop(L);
    // An array when the keys are exactly the integers 1..count.
    let count = 0;
    let max = 0;
    let isArray = true;
    m._lua_pushnil(L);
    while (m._lua_next(L, idx) !== 0) {
      m._lua_settop(L, -2);
      const k = m._lua_isinteger(L, -1) ? m._lua_tonumberx(L, -1, 0) : 0;
      if (k <= 0) {
        isArray = false;
        break;
      }
      if (k > max) max = k;
      count++;
    }
    m._lua_settop(L, top);
    if (isArray && max === count) {
      if (count < 16) out.byte(0x90 | count);
      else if (count <= 0xffff) out.head(0xdc, count, 2);
      else out.head(0xdd, count, 4);
      for (let i = 1; i <= count; i++) {
        m._lua_rawgeti(L, idx, big(i));
        this.encode(L, top + 1, level + 1);
        m._lua_settop(L, top);
      }
      return;
    }
    let n = 0;
    m._lua_pushnil(L);
    while (m._lua_next(L, idx) !== 0) {
      m._lua_settop(L, -2);
      n++;
    }
    if (n < 16) out.byte(0x80 | n);
    else if (n <= 0xffff) out.head(0xde, n, 2);
    else out.head(0xdf, n, 4);
    m._lua_pushnil(L);
    while (m._lua_next(L, idx) !== 0) {
      this.encode(L, top + 1, level + 1);
      this.encode(L, top + 2, level + 1);
      m._lua_settop(L, top + 1);
    }
  }

  // -------------------------------------------------------------------------
  // unpack

  unpack(L: number): number {
    return this.unpackFull(L, 'unpack', 0, 0);
  }

  unpackOne(L: number): number {
    const offset = this.optInteger(L, 2, 'unpack_one');
    this.m._lua_settop(L, 1);
    return this.unpackFull(L, 'unpack_one', 1, offset);
  }

  unpackLimit(L: number): number {
    const limit = this.checkInteger(L, 2, 'unpack_limit');
    const offset = this.optInteger(L, 3, 'unpack_limit');
    this.m._lua_settop(L, 1);
    return this.unpackFull(L, 'unpack_limit', limit, offset);
  }

  /** luaL_checkinteger as Lua 5.1 does it: numbers and numeric strings, truncated. */
  private checkInteger(L: number, i: number, fn: string): number {
    const m = this.m;
    const d = m._lua_tonumberx(L, i, this.isnumPtr);
    if (m.HEAP32[this.isnumPtr >> 2] === 0) {
      this.b.raise(L, `bad argument #${i} to '${fn}' (number expected, got ${TYPE_NAMES[m._lua_type(L, i)]})`);
    }
    return Math.trunc(d);
  }

  private optInteger(L: number, i: number, fn: string): number {
    const t = this.m._lua_type(L, i);
    return t === T.NONE || t === T.NIL ? 0 : this.checkInteger(L, i, fn);
  }

  /** mp_unpack_full: decode up to limit values (all when limit and offset are 0) from offset on. */
  private unpackFull(L: number, fn: string, limit: number, offset: number): number {
    const m = this.m;
    const b = this.b;
    const t = m._lua_type(L, 1);
    if (t === T.NUMBER) {
      // luaL_checklstring accepts a number, as Lua 5.1 prints it.
      b.push(L, formatG(m._lua_tonumberx(L, 1, 0), 14));
      m._lua_rotate(L, 1, 1);
    } else if (t !== T.STRING) {
      return b.raise(L, `bad argument #1 to '${fn}' (string expected, got ${TYPE_NAMES[t]})`);
    }
    // The input stays at index 1 (alive while its bytes are read); results go above it.
    m._lua_settop(L, 1);
    const p = m._lua_tolstring(L, 1, b.lenPtr);
    const len = m.HEAPU32[b.lenPtr >> 2]!;
    if (offset < 0 || limit < 0) return b.raise(L, `Invalid request to unpack with offset of ${offset} and limit of ${len}.`);
    if (offset > len) return b.raise(L, `Start offset ${offset} greater than input length ${len}.`);
    const all = limit === 0 && offset === 0;
    // A __gc finalizer run by an allocation below may unpack too: the cursor
    // it found is put back however that call ends (a Lua error unwinds as a
    // JavaScript exception, so finally runs).
    const outerPos = this.pos;
    const outerEnd = this.end;
    try {
      this.pos = p + offset;
      this.end = p + len;
      let count = 0;
      while (this.pos < this.end && (all || count < limit)) {
        if (!m._lua_checkstack(L, 4)) return b.raise(L, 'stack overflow (too many results to unpack)');
        this.decode(L);
        count++;
      }
      if (!all) {
        // The offset to continue from, -1 once the input is consumed, before the values.
        m._lua_pushinteger(L, this.pos >= this.end ? -1n : big(this.pos - p));
        m._lua_rotate(L, 2, 1);
        count++;
      }
      return count;
    } finally {
      this.pos = outerPos;
      this.end = outerEnd;
    }
  }

  private need(L: number, n: number): void {
    if (this.end - this.pos < n) this.b.raise(L, 'Missing bytes in input.');
  }

  /** Push the next value; says whether it was nil or NaN (lua_settable refuses those as keys). */
  private decode(L: number): number {
    const m = this.m;
    this.need(L, 1);
    const heap = m.HEAPU8;
    const c = heap[this.pos++]!;
    if (c <= 0x7f) return this.pushInt(L, c);
    if (c >= 0xe0) return this.pushInt(L, c - 256);
    if (c >= 0xa0 && c <= 0xbf) return this.str(L, c & 0x1f);
    if (c >= 0x90 && c <= 0x9f) return this.array(L, c & 0x0f);
    if (c >= 0x80 && c <= 0x8f) return this.map(L, c & 0x0f);
    const p = this.pos;
    switch (c) {
      case 0xc0:
        m._lua_pushnil(L);
        return NIL;
      case 0xc2:
        m._lua_pushboolean(L, 0);
        return VALUE;
      case 0xc3:
        m._lua_pushboolean(L, 1);
        return VALUE;
      case 0xcc:
        this.need(L, 1);
        this.pos = p + 1;
        return this.pushInt(L, heap[p]!);
      case 0xcd:
        this.need(L, 2);
        this.pos = p + 2;
        return this.pushInt(L, (heap[p]! << 8) | heap[p + 1]!);
      case 0xce:
        this.need(L, 4);
        this.pos = p + 4;
        return this.pushInt(L, u32(heap, p));
      case 0xcf: // lua-cmsgpack reads uint64 as int64 too
      case 0xd3: {
        this.need(L, 8);
        this.pos = p + 8;
        const hi = u32(heap, p) | 0;
        const lo = u32(heap, p + 4);
        // hi * 2^32 is exact, so the sum is the int64 correctly rounded to a double.
        const v = hi * TWO32 + lo;
        const exact = (v > -TWO53 && v < TWO53) || (lo === 0 && (hi === 0x200000 || hi === -0x200000));
        if (exact) return this.pushInt(L, v);
        m._lua_pushnumber(L, v);
        return VALUE;
      }
      case 0xd0:
        this.need(L, 1);
        this.pos = p + 1;
        return this.pushInt(L, (heap[p]! << 24) >> 24);
      case 0xd1:
        this.need(L, 2);
        this.pos = p + 2;
        return this.pushInt(L, (((heap[p]! << 8) | heap[p + 1]!) << 16) >> 16);
      case 0xd2:
        this.need(L, 4);
        this.pos = p + 4;
        return this.pushInt(L, u32(heap, p) | 0);
      case 0xca:
        this.need(L, 4);
        this.pos = p + 4;
        return this.pushNumber(L, this.floats.float32(heap, p));
      case 0xcb:
        this.need(L, 8);
        this.pos = p + 8;
        return this.pushNumber(L, this.floats.float64(heap, p));
      case 0xd9:
        this.need(L, 1);
        this.pos = p + 1;
        return this.str(L, heap[p]!);
      case 0xda:
        this.need(L, 2);
        this.pos = p + 2;
        return this.str(L, (heap[p]! << 8) | heap[p + 1]!);
      case 0xdb:
        this.need(L, 4);
        this.pos = p + 4;
        return this.str(L, u32(heap, p));
      case 0xdc:
        this.need(L, 2);
        this.pos = p + 2;
        return this.array(L, (heap[p]! << 8) | heap[p + 1]!);
      case 0xdd:
        this.need(L, 4);
        this.pos = p + 4;
        return this.array(L, u32(heap, p));
      case 0xde:
        this.need(L, 2);
        this.pos = p + 2;
        return this.map(L, (heap[p]! << 8) | heap[p + 1]!);
      case 0xdf:
        this.need(L, 4);
        this.pos = p + 4;
        return this.map(L, u32(heap, p));
    }
    return this.b.raise(L, 'Bad data format in input.');
  }

  private pushInt(L: number, n: number): number {
    this.m._lua_pushinteger(L, big(n));
    return VALUE;
  }

  /** Lua 5.1 numbers are doubles: integral values within 2^53 become integers (the prelude's normnum). */
  private pushNumber(L: number, d: number): number {
    // (-0.0 stays a float: it prints "-0" like Redis's double.)
    if (Number.isInteger(d) && d >= -TWO53 && d <= TWO53 && !Object.is(d, -0)) return this.pushInt(L, d);
    this.m._lua_pushnumber(L, d);
    return d !== d ? NAN : VALUE;
  }

  private str(L: number, n: number): number {
    this.need(L, n);
    const p = this.pos;
    this.pos = p + n;
    this.m._lua_pushlstring(L, p, n);
    return VALUE;
  }

  private array(L: number, n: number): number {
    const m = this.m;
    if (!m._lua_checkstack(L, 4)) return this.b.raise(L, 'stack overflow');
    m._lua_createtable(L, 0, 0);
    for (let i = 1; i <= n; i++) {
      if (this.decode(L) === NIL) m._lua_settop(L, -2);
      else m._lua_rawseti(L, -2, big(i));
    }
    return VALUE;
  }

  private map(L: number, n: number): number {
    const m = this.m;
    if (!m._lua_checkstack(L, 4)) return this.b.raise(L, 'stack overflow');
    m._lua_createtable(L, 0, 0);
    for (let i = 0; i < n; i++) {
      const k = this.decode(L);
      this.decode(L);
      // Lua 5.1's lua_settable message, raised without a position.
      if (k === NIL) return this.b.raise(L, 'table index is nil', false);
      if (k === NAN) return this.b.raise(L, 'table index is NaN', false);
      m._lua_rawset(L, -3);
    }
    return VALUE;
  }
}

function u32(heap: Uint8Array, p: number): number {
  return ((heap[p]! << 24) | (heap[p + 1]! << 16) | (heap[p + 2]! << 8) | heap[p + 3]!) >>> 0;
}

// cjson.encode (lua-cjson 2.1 as bundled by Redis) as a C function written in
// TypeScript: BullMQ encodes every job's options with it, and the Lua version
// ran a gsub per string and a string.format per number. cjson.decode stays
// in Lua (prelude.ts): BullMQ only decodes on its rarer paths.
//
// Behaviour kept from the Lua version (and lua-cjson): numbers as "%.14g",
// NaN and Inf refused; '/' escaped, control bytes and DEL as \u00XX (or \b,
// \f, \n, \r, \t), other bytes, UTF-8 or not, copied as they are; a table is
// an array when all its keys are positive integers, with nil as null, unless
// excessively sparse (max key > 2 * count and > 10); other tables are objects
// in `next` order, with number keys quoted; cjson.null (the only light
// userdata) is null; nesting beyond 1000 is refused. Errors carry the
// caller's position.

import { OutBuf, T, TYPE_NAMES, big, type Bytes, type LuaModule } from './wasm.ts';
import { formatG } from '../util/numbers.ts';

const MAX_DEPTH = 1000;
const HEX = '0123456789abcdef';
/** The escape for each byte that needs one ('' for the others). */
const ESCAPES: string[] = Array.from({ length: 256 }, (_, c) => {
  if (c === 0x22) return '\\"';
  if (c === 0x5c) return '\\\\';
  if (c === 0x2f) return '\\/';
  if (c === 0x08) return '\\b';
  if (c === 0x0c) return '\\f';
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  if (c < 0x20 || c === 0x7f) return '\\u00' + HEX[c >> 4]! + HEX[c & 15]!;
  return '';
});

export class JsonEncoder {
  private readonly m: LuaModule;
  private readonly b: Bytes;
  private readonly out: OutBuf;
  /** cjson.encode_max_depth (lua-cjson's default 1000), per Lua state. */
  maxDepth = MAX_DEPTH;

  constructor(m: LuaModule, b: Bytes, out: OutBuf) {
    this.m = m;
    this.b = b;
    this.out = out;
  }

  encode(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1) return this.b.raise(L, "bad argument #1 to 'encode' (expected 1 argument)");
    this.out.n = 0;
    this.value(L, 1, 0);
    m._lua_settop(L, 0);
    this.b.pushBytes(L, this.out);
    return 1;
  }

  /** Encode the value at the absolute index idx. */
  private value(L: number, idx: number, depth: number): void {
    const m = this.m;
    const t = m._lua_type(L, idx);
    switch (t) {
      case T.STRING:
        this.string(L, idx);
        return;
      case T.NUMBER:
        this.number(L, m._lua_tonumberx(L, idx, 0));
        return;
      case T.BOOLEAN:
        this.out.ascii(m._lua_toboolean(L, idx) ? 'true' : 'false');
        return;
      case T.NIL:
      case T.NONE:
      case T.LIGHTUSERDATA: // cjson.null; scripts cannot make other light userdata
        this.out.ascii('null');
        return;
      case T.TABLE:
        this.table(L, idx, depth);
        return;
    }
    this.b.raise(L, `Cannot serialise ${TYPE_NAMES[t]}: type not supported`);
  }

  private number(L: number, d: number): void {
    if (d !== d || d === Infinity || d === -Infinity) this.b.raise(L, 'Cannot serialise number: must not be NaN or Inf');
    this.out.ascii(formatG(d, 14));
  }

  private string(L: number, idx: number): void {
    const m = this.m;
    const out = this.out;
    const p = m._lua_tolstring(L, idx, this.b.lenPtr);
    const len = m.HEAPU32[this.b.lenPtr >> 2]!;
    const heap = m.HEAPU8;
    out.byte(0x22);
    // Copy runs of bytes that need no escape in one go.
    let run = p;
    const end = p + len;
    for (let i = p; i < end; i++) {
      const c = heap[i]!;
      if (c >= 0x30 ? c !== 0x5c && c !== 0x7f : c >= 0x20 && c !== 0x22 && c !== 0x2f) continue;
      if (i > run) out.copy(heap, run, i - run);
      out.ascii(ESCAPES[c]!);
      run = i + 1;
    }
    if (end > run) out.copy(heap, run, end - run);
    out.byte(0x22);
  }

  private table(L: number, idx: number, depth: number): void {
    const m = this.m;
    const out = this.out;
    depth++;
    if (depth > this.maxDepth) this.b.raise(L, `Cannot serialise, excessive nesting (${depth})`);
    if (!m._lua_checkstack(L, 4)) this.b.raise(L, 'stack overflow');
    const top = m._lua_gettop(L);
    // lua_array_length: all keys positive integral numbers.
    let max = 0;
    let items = 0;
    let isArray = true;
    m._lua_pushnil(L);
    while (m._lua_next(L, idx) !== 0) {
      m._lua_settop(L, -2);
      const k = m._lua_type(L, -1) === T.NUMBER ? m._lua_tonumberx(L, -1, 0) : 0;
      if (k >= 1 && k === Math.floor(k)) {
        // lua-cjson keeps max in a C int: keys past INT_MAX store INT_MIN (x86's
        // conversion result), which makes the table an object.
        if (k > max) max = k <= 2147483647 ? k : -2147483648;
        items++;
      } else {
        isArray = false;
        break;
      }
    }
    m._lua_settop(L, top);
    if (isArray && max > 0) {
      if (max > items * 2 && max > 10) this.b.raise(L, 'Cannot serialise table: excessively sparse array');
      out.byte(0x5b);
      for (let i = 1; i <= max; i++) {
        if (i > 1) out.byte(0x2c);
        m._lua_rawgeti(L, idx, big(i));
        this.value(L, top + 1, depth);
        m._lua_settop(L, top);
      }
      out.byte(0x5d);
      return;
    }
    out.byte(0x7b);
    let first = true;
    m._lua_pushnil(L);
    while (m._lua_next(L, idx) !== 0) {
      if (!first) out.byte(0x2c);
      first = false;
      const kt = m._lua_type(L, top + 1);
      if (kt === T.STRING) this.string(L, top + 1);
      else if (kt === T.NUMBER) {
        out.byte(0x22);
        this.number(L, m._lua_tonumberx(L, top + 1, 0));
        out.byte(0x22);
      } else {
        this.b.raise(L, `Cannot serialise ${TYPE_NAMES[kt]}: table key must be a number or string`);
      }
      out.byte(0x3a);
      this.value(L, top + 2, depth);
      m._lua_settop(L, top + 1);
    }
    out.byte(0x7d);
  }
}

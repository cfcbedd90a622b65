// Value types held by the keyspace. All strings are byte strings (latin1 JS
// strings: one char code per byte), so comparisons with < are memcmp order.
//
// Each container keeps an estimate of its own size in `bytes` and reports
// changes to the Acct of the keyspace it is stored in, which is how
// maxmemory is enforced without walking the data set.

export class Acct {
  used = 0;
}

export const OVERHEAD = {
  key: 48,
  string: 16,
  hashField: 40,
  listItem: 16,
  setMember: 40,
  zsetMember: 64,
  streamEntry: 32,
  container: 64,
} as const;

export abstract class Container {
  bytes = OVERHEAD.container;
  acct: Acct | null = null;
  protected grow(d: number): void {
    this.bytes += d;
    if (this.acct) this.acct.used += d;
  }
}

// Hash field names repeat from key to key (every BullMQ job hash has name, data, opts,
// timestamp, delay, priority…), and each command brings them as fresh strings. New fields keep
// one shared copy of a short name instead of one per hash. Bounded, so keys chosen by a client
// cannot grow it without limit.
const FIELD_NAMES = new Map<string, string>();
const FIELD_NAME_MAX_LENGTH = 32;
const FIELD_NAMES_MAX = 10_000;
function sharedFieldName(f: string): string {
  if (f.length > FIELD_NAME_MAX_LENGTH) return f;
  const known = FIELD_NAMES.get(f);
  if (known !== undefined) return known;
  if (FIELD_NAMES.size < FIELD_NAMES_MAX) FIELD_NAMES.set(f, f);
  return f;
}

/**
 * A hash. Small ones (most are: every BullMQ job is one) are a flat [field, value, …] array, as
 * Redis keeps them in a listpack: a fraction of a Map's memory, and a scan of a few fields is as
 * quick as hashing. Past SMALL_HASH_FIELDS fields it becomes a Map. Either way fields keep their
 * insertion order, and updating a field keeps its place.
 */
const SMALL_HASH_FIELDS = 32;

export class RHash extends Container {
  #flat: string[] | null = [];
  #map: Map<string, string> | null = null;

  get size(): number {
    return this.#map ? this.#map.size : this.#flat!.length >> 1;
  }
  #indexOf(f: string): number {
    const flat = this.#flat!;
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === f) return i;
    return -1;
  }
  get(f: string): string | undefined {
    if (this.#map) return this.#map.get(f);
    const i = this.#indexOf(f);
    return i < 0 ? undefined : this.#flat![i + 1];
  }
  has(f: string): boolean {
    return this.get(f) !== undefined;
  }
  /** Returns true when the field is new. */
  set(f: string, v: string): boolean {
    if (this.#flat) {
      const i = this.#indexOf(f);
      if (i >= 0) {
        this.grow(v.length - this.#flat[i + 1]!.length);
        this.#flat[i + 1] = v;
        return false;
      }
    } else {
      const old = this.#map!.get(f);
      if (old !== undefined) {
        this.grow(v.length - old.length);
        this.#map!.set(f, v);
        return false;
      }
    }
    if (this.#flat && this.#flat.length >= SMALL_HASH_FIELDS * 2) {
      this.#map = new Map(this.entries());
      this.#flat = null;
    }
    if (this.#map) this.#map.set(sharedFieldName(f), v);
    else this.#flat!.push(sharedFieldName(f), v);
    this.grow(OVERHEAD.hashField + f.length + v.length);
    return true;
  }
  delete(f: string): boolean {
    let old: string | undefined;
    if (this.#flat) {
      const i = this.#indexOf(f);
      if (i >= 0) old = this.#flat.splice(i, 2)[1];
    } else {
      old = this.#map!.get(f);
      if (old !== undefined) this.#map!.delete(f);
    }
    if (old === undefined) return false;
    this.grow(-(OVERHEAD.hashField + f.length + old.length));
    return true;
  }
  *entries(): IterableIterator<[string, string]> {
    if (this.#map) return yield* this.#map.entries();
    const flat = this.#flat!;
    for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!];
  }
  *fields(): IterableIterator<string> {
    if (this.#map) return yield* this.#map.keys();
    const flat = this.#flat!;
    for (let i = 0; i < flat.length; i += 2) yield flat[i]!;
  }
  *values(): IterableIterator<string> {
    if (this.#map) return yield* this.#map.values();
    const flat = this.#flat!;
    for (let i = 1; i < flat.length; i += 2) yield flat[i]!;
  }
}

const INT_RE = /^(0|-?[1-9][0-9]{0,18})$/;

/** Would Redis store this member in an intset? (string2ll-representable) */
export function isIntsetMember(m: string): boolean {
  if (!INT_RE.test(m)) return false;
  if (m.length < 19) return true;
  const v = BigInt(m);
  return v <= 9223372036854775807n && v >= -9223372036854775808n;
}

export class RSet extends Container {
  readonly s = new Set<string>();
  /** Redis's encoding: intset until a non-integer or the 513th member arrives; never goes back. */
  intset = true;
  get size(): number {
    return this.s.size;
  }
  has(m: string): boolean {
    return this.s.has(m);
  }
  /** Members in Redis's iteration order where it is predictable (intsets are sorted). */
  members(): string[] {
    const arr = [...this.s];
    if (this.intset) arr.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    return arr;
  }
  add(m: string): boolean {
    if (this.s.has(m)) return false;
    if (this.intset && (this.s.size >= 512 || !isIntsetMember(m))) this.intset = false;
    this.s.add(m);
    this.grow(OVERHEAD.setMember + m.length);
    return true;
  }
  delete(m: string): boolean {
    if (!this.s.delete(m)) return false;
    this.grow(-(OVERHEAD.setMember + m.length));
    return true;
  }
}

/** A list as a growable ring buffer: O(1) at both ends, O(1) indexing. */
export class RList extends Container {
  private a: (string | undefined)[] = new Array(8);
  private head = 0;
  private len = 0;

  get length(): number {
    return this.len;
  }

  private growCap(): void {
    const cap = this.a.length;
    const b: (string | undefined)[] = new Array(cap * 2);
    for (let i = 0; i < this.len; i++) b[i] = this.a[(this.head + i) % cap];
    this.a = b;
    this.head = 0;
  }

  push(v: string): void {
    if (this.len === this.a.length) this.growCap();
    this.a[(this.head + this.len) % this.a.length] = v;
    this.len++;
    this.grow(OVERHEAD.listItem + v.length);
  }

  unshift(v: string): void {
    if (this.len === this.a.length) this.growCap();
    this.head = (this.head - 1 + this.a.length) % this.a.length;
    this.a[this.head] = v;
    this.len++;
    this.grow(OVERHEAD.listItem + v.length);
  }

  pop(): string | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) % this.a.length;
    const v = this.a[i]!;
    this.a[i] = undefined;
    this.len--;
    this.grow(-(OVERHEAD.listItem + v.length));
    return v;
  }

  shift(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.a[this.head]!;
    this.a[this.head] = undefined;
    this.head = (this.head + 1) % this.a.length;
    this.len--;
    this.grow(-(OVERHEAD.listItem + v.length));
    return v;
  }

  at(i: number): string | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.a[(this.head + i) % this.a.length];
  }

  set(i: number, v: string): void {
    const j = (this.head + i) % this.a.length;
    const old = this.a[j]!;
    this.a[j] = v;
    this.grow(v.length - old.length);
  }

  /** Elements [start, end] inclusive, already clamped by the caller. */
  range(start: number, end: number): string[] {
    const out: string[] = [];
    for (let i = start; i <= end; i++) out.push(this.a[(this.head + i) % this.a.length]!);
    return out;
  }

  toArray(): string[] {
    return this.len === 0 ? [] : this.range(0, this.len - 1);
  }

  /** Replace the whole content (used by LREM, LINSERT, LTRIM). */
  replaceAll(items: string[]): void {
    let before = 0;
    for (let i = 0; i < this.len; i++) before += OVERHEAD.listItem + this.a[(this.head + i) % this.a.length]!.length;
    let after = 0;
    for (const v of items) after += OVERHEAD.listItem + v.length;
    let cap = 8;
    while (cap < items.length) cap *= 2;
    this.a = new Array(cap);
    for (let i = 0; i < items.length; i++) this.a[i] = items[i];
    this.head = 0;
    this.len = items.length;
    this.grow(after - before);
  }
}

export interface ZEntry {
  m: string;
  s: number;
}

/** (score, member) order; members compare as bytes. */
export function zcmp(as: number, am: string, bs: number, bm: string): number {
  if (as < bs) return -1;
  if (as > bs) return 1;
  return am < bm ? -1 : am > bm ? 1 : 0;
}

/** Sorted set: a score dictionary plus an array sorted by (score, member). */
export class ZSet extends Container {
  readonly dict = new Map<string, number>();
  readonly arr: ZEntry[] = [];

  get size(): number {
    return this.dict.size;
  }

  score(m: string): number | undefined {
    return this.dict.get(m);
  }

  /** Index of the first entry >= (s, m). */
  lowerBound(s: number, m: string): number {
    let lo = 0;
    let hi = this.arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.arr[mid]!;
      if (zcmp(e.s, e.m, s, m) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry with score > s (exclusive) or >= s. */
  firstByScore(s: number, exclusive: boolean): number {
    let lo = 0;
    let hi = this.arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.arr[mid]!.s;
      if (exclusive ? v <= s : v < s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry with member > m (exclusive) or >= m (assumes equal scores). */
  firstByLex(m: string, exclusive: boolean): number {
    let lo = 0;
    let hi = this.arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.arr[mid]!.m;
      if (exclusive ? v <= m : v < m) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  rank(m: string): number | undefined {
    const s = this.dict.get(m);
    if (s === undefined) return undefined;
    return this.lowerBound(s, m);
  }

  /** Insert or update; returns true if the member is new. */
  set(m: string, s: number): boolean {
    if (Object.is(s, -0)) s = 0;
    const old = this.dict.get(m);
    if (old !== undefined) {
      if (old === s) return false;
      this.arr.splice(this.lowerBound(old, m), 1);
    }
    this.dict.set(m, s);
    this.arr.splice(this.lowerBound(s, m), 0, { m, s });
    if (old === undefined) {
      this.grow(OVERHEAD.zsetMember + m.length);
      return true;
    }
    return false;
  }

  delete(m: string): boolean {
    const old = this.dict.get(m);
    if (old === undefined) return false;
    this.arr.splice(this.lowerBound(old, m), 1);
    this.dict.delete(m);
    this.grow(-(OVERHEAD.zsetMember + m.length));
    return true;
  }

  /** Remove entries [start, end) by rank. */
  deleteRange(start: number, end: number): ZEntry[] {
    const removed = this.arr.splice(start, end - start);
    let d = 0;
    for (const e of removed) {
      this.dict.delete(e.m);
      d += OVERHEAD.zsetMember + e.m.length;
    }
    this.grow(-d);
    return removed;
  }
}

// ---------------------------------------------------------------------------
// Streams

/** A stream ID as one 128-bit BigInt: (ms << 64) | seq. */
export type StreamId = bigint;
export const SEQ_MASK = (1n << 64n) - 1n;
export const ID_MAX: StreamId = (SEQ_MASK << 64n) | SEQ_MASK;

export function idMs(id: StreamId): bigint {
  return id >> 64n;
}
export function idSeq(id: StreamId): bigint {
  return id & SEQ_MASK;
}
export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}
export function idToString(id: StreamId): string {
  return `${id >> 64n}-${id & SEQ_MASK}`;
}

export interface StreamEntry {
  id: StreamId;
  fields: string[]; // field, value, field, value...
  deleted: boolean;
}

/**
 * A radix-tree node of Redis's stream (a listpack of entries). Node boundaries
 * matter because "MAXLEN ~" trims whole nodes only, so the listpack size is
 * modelled exactly as listpack.c encodes it.
 */
export interface StreamNode {
  master: StreamId;
  masterFields: string[];
  entries: StreamEntry[];
  live: number;
  deleted: number;
  lpBytes: number;
}

function isLpInt(s: string): bigint | null {
  if (s.length === 0 || s.length > 20) return null;
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return v;
}

function lpIntEncodedLen(v: bigint): number {
  if (v >= 0n && v <= 127n) return 1;
  if (v >= -4096n && v <= 4095n) return 2;
  if (v >= -32768n && v <= 32767n) return 3;
  if (v >= -8388608n && v <= 8388607n) return 4;
  if (v >= -2147483648n && v <= 2147483647n) return 5;
  return 9;
}

function lpBacklen(l: number): number {
  if (l < 128) return 1;
  if (l < 16384) return 2;
  if (l < 2097152) return 3;
  if (l < 268435456) return 4;
  return 5;
}

export function lpIntSize(v: bigint): number {
  const l = lpIntEncodedLen(v);
  return l + lpBacklen(l);
}

export function lpStrSize(s: string): number {
  const iv = isLpInt(s);
  if (iv !== null) return lpIntSize(iv);
  const n = s.length;
  const l = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  return l + lpBacklen(l);
}

export class Stream extends Container {
  nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamId = 0n;
  firstId: StreamId = 0n;
  maxDeletedId: StreamId = 0n;
  entriesAdded = 0n;
  groups = new Map<string, unknown>();
  nodeMaxBytes = 4096;
  nodeMaxEntries = 100;

  append(id: StreamId, fields: string[]): void {
    let tail = this.nodes[this.nodes.length - 1];
    let totelelen = 0;
    for (const f of fields) totelelen += f.length;
    if (tail) {
      const maxBytes = this.nodeMaxBytes === 0 || this.nodeMaxBytes > 1 << 30 ? 1 << 30 : this.nodeMaxBytes;
      if (tail.lpBytes + totelelen >= maxBytes) tail = undefined;
      else if (this.nodeMaxEntries && tail.live + tail.deleted >= this.nodeMaxEntries) tail = undefined;
    }
    if (!tail) {
      const masterFields: string[] = [];
      for (let i = 0; i < fields.length; i += 2) masterFields.push(fields[i]!);
      let bytes = 7 + lpIntSize(1n) + lpIntSize(0n) + lpIntSize(BigInt(masterFields.length)) + lpIntSize(0n);
      for (const f of masterFields) bytes += lpStrSize(f);
      tail = { master: id, masterFields, entries: [], live: 0, deleted: 0, lpBytes: bytes };
      this.nodes.push(tail);
    } else {
      tail.lpBytes += lpIntSize(BigInt(tail.live + 1)) - lpIntSize(BigInt(tail.live));
    }
    const numfields = fields.length / 2;
    let same = tail.masterFields.length === numfields;
    if (same) {
      for (let i = 0; i < numfields; i++) {
        if (tail.masterFields[i] !== fields[i * 2]) {
          same = false;
          break;
        }
      }
    }
    let bytes = lpIntSize(same ? 2n : 0n) + lpIntSize(idMs(id) - idMs(tail.master)) + lpIntSize(idSeq(id) - idSeq(tail.master));
    if (!same) bytes += lpIntSize(BigInt(numfields));
    for (let i = 0; i < numfields; i++) {
      if (!same) bytes += lpStrSize(fields[i * 2]!);
      bytes += lpStrSize(fields[i * 2 + 1]!);
    }
    bytes += lpIntSize(BigInt(numfields + 3 + (same ? 0 : numfields + 1)));
    tail.lpBytes += bytes;
    if (tail.live === 0 && tail.entries.length === 0 && this.length === 0) this.firstId = id;
    tail.entries.push({ id, fields, deleted: false });
    tail.live++;
    this.length++;
    if (this.length === 1) this.firstId = id;
    this.lastId = id;
    this.entriesAdded++;
    let sz = OVERHEAD.streamEntry;
    for (const f of fields) sz += f.length;
    this.grow(sz);
  }

  private entrySize(e: StreamEntry): number {
    let sz = OVERHEAD.streamEntry;
    for (const f of e.fields) sz += f.length;
    return sz;
  }

  /** Mark one entry deleted (XDEL). Returns true if it existed. */
  deleteId(id: StreamId): boolean {
    for (let ni = 0; ni < this.nodes.length; ni++) {
      const node = this.nodes[ni]!;
      const last = node.entries[node.entries.length - 1];
      if (!last || last.id < id) continue;
      if (node.master > id) return false;
      const e = findEntry(node.entries, id);
      if (!e || e.deleted) return false;
      e.deleted = true;
      node.live--;
      node.deleted++;
      this.length--;
      this.grow(-this.entrySize(e));
      if (node.live === 0) this.nodes.splice(ni, 1);
      if (id > this.maxDeletedId) this.maxDeletedId = id;
      this.updateFirst();
      return true;
    }
    return false;
  }

  updateFirst(): void {
    for (const n of this.nodes) {
      for (const e of n.entries) {
        if (!e.deleted) {
          this.firstId = e.id;
          return;
        }
      }
    }
    this.firstId = 0n;
  }

  /** streamTrim: MAXLEN or MINID, exact or approximate, with an optional work limit. */
  trim(strategy: 'maxlen' | 'minid', threshold: bigint, approx: boolean, limit: number): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (strategy === 'maxlen' && BigInt(this.length) <= threshold) break;
      const node = this.nodes[0]!;
      // streamTrim: LIMIT bounds the work; a node whose entries would take it past the limit
      // stays whole (XTRIM s MAXLEN ~ 0 LIMIT 1 on a node of 3 removes nothing).
      if (limit && deleted + node.live > limit) break;
      let removeNode: boolean;
      if (strategy === 'maxlen') {
        removeNode = BigInt(this.length - node.live) >= threshold;
      } else {
        const last = node.entries[node.entries.length - 1]!;
        removeNode = last.id < threshold;
      }
      if (removeNode) {
        for (const e of node.entries) if (!e.deleted) this.grow(-this.entrySize(e));
        this.nodes.shift();
        this.length -= node.live;
        deleted += node.live;
        continue;
      }
      if (approx) break;
      for (const e of node.entries) {
        if (e.deleted) continue;
        if (strategy === 'maxlen' ? BigInt(this.length) <= threshold : e.id >= threshold) break;
        e.deleted = true;
        node.live--;
        node.deleted++;
        this.length--;
        deleted++;
        this.grow(-this.entrySize(e));
      }
      if (node.live === 0) this.nodes.shift();
      break;
    }
    if (deleted > 0) this.updateFirst();
    return deleted;
  }

  *iterate(start: StreamId, end: StreamId, rev: boolean): Generator<StreamEntry> {
    if (!rev) {
      for (const n of this.nodes) {
        const last = n.entries[n.entries.length - 1];
        if (!last || last.id < start) continue;
        if (n.master > end) return;
        for (const e of n.entries) {
          if (e.id < start || e.deleted) continue;
          if (e.id > end) return;
          yield e;
        }
      }
    } else {
      for (let ni = this.nodes.length - 1; ni >= 0; ni--) {
        const n = this.nodes[ni]!;
        if (n.master > end) continue;
        const last = n.entries[n.entries.length - 1];
        if (!last || last.id < start) return;
        for (let i = n.entries.length - 1; i >= 0; i--) {
          const e = n.entries[i]!;
          if (e.id > end || e.deleted) continue;
          if (e.id < start) return;
          yield e;
        }
      }
    }
  }

  lastEntry(): StreamEntry | undefined {
    for (let ni = this.nodes.length - 1; ni >= 0; ni--) {
      const n = this.nodes[ni]!;
      for (let i = n.entries.length - 1; i >= 0; i--) if (!n.entries[i]!.deleted) return n.entries[i];
    }
    return undefined;
  }
}

function findEntry(entries: StreamEntry[], id: StreamId): StreamEntry | undefined {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  const e = entries[lo];
  return e && e.id === id ? e : undefined;
}

export type Value = string | RHash | RList | RSet | ZSet | Stream;

export function typeName(v: Value): 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream' {
  if (typeof v === 'string') return 'string';
  if (v instanceof RHash) return 'hash';
  if (v instanceof RList) return 'list';
  if (v instanceof RSet) return 'set';
  if (v instanceof ZSet) return 'zset';
  return 'stream';
}

export function valueBytes(v: Value): number {
  return typeof v === 'string' ? OVERHEAD.string + v.length : v.bytes;
}

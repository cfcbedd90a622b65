// Cursor iteration for SCAN, HSCAN, SSCAN and ZSCAN.
//
// Redis's cursors walk hash-table buckets in reverse-binary order; we walk
// elements in order of a 32-bit hash of their name instead. The cursor is the
// next hash value to visit, so every element present for the whole iteration
// is returned, whatever is added or removed meanwhile, and the iteration ends
// with cursor 0 like Redis's. Small collections (Redis's listpack/intset
// encodings) are returned in one call with cursor 0, as Redis does.

import { E, ErrorReply, err } from '../resp/reply.ts';
import { globMatch } from '../util/glob.ts';
import { string2ll } from '../util/numbers.ts';
import { eq } from './util.ts';

export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface ScanOptions {
  cursor: number;
  match: string | null;
  count: number;
  type: string | null;
}

/** Parse "cursor [MATCH pattern] [COUNT count] [TYPE type]" starting at argv[first]. */
/** parseScanCursorOrReply (strtoul on the whole string). */
export function parseCursor(cur: string): number | ErrorReply {
  if (!/^[+-]?\d+$/.test(cur)) return err('ERR invalid cursor');
  let big = BigInt(cur.replace(/^\+/, ''));
  if (big < 0n) big = 18446744073709551616n + big;
  if (big > 18446744073709551615n || big < 0n) return err('ERR invalid cursor');
  return big > 0xffffffffn ? 0x100000000 : Number(big);
}

export function parseScanArgs(argv: string[], first: number, allowType: boolean): ScanOptions | ErrorReply {
  const cursor = parseCursor(argv[first]!);
  if (cursor instanceof ErrorReply) return cursor;
  const opts: ScanOptions = { cursor, match: null, count: 10, type: null };
  for (let i = first + 1; i < argv.length; i += 2) {
    const remaining = argv.length - i - 1;
    const o = argv[i]!;
    if (eq(o, 'count') && remaining >= 1) {
      const n = string2ll(argv[i + 1]!);
      if (n === null) return E.NOT_INT;
      if (n < 1n) return E.SYNTAX;
      opts.count = Number(n);
    } else if (eq(o, 'match') && remaining >= 1) {
      opts.match = argv[i + 1]!;
    } else if (allowType && eq(o, 'type') && remaining >= 1) {
      opts.type = argv[i + 1]!;
    } else {
      return E.SYNTAX;
    }
  }
  return opts;
}

/** The k-th smallest value (1-based) of a, by quickselect (reorders a). */
function kthSmallest(a: Uint32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

/**
 * One SCAN step over `items` (names): the `count` names with the smallest
 * hashes at or above the cursor (plus any sharing the last hash), in O(n).
 * Returns the next cursor and the names visited (before MATCH filtering,
 * which the caller applies).
 */
export function scanStep(items: Iterable<string>, cursor: number, count: number): { next: number; names: string[] } {
  if (cursor >= 0x100000000) return { next: 0, names: [] };
  const keys: string[] = [];
  const hashes: number[] = [];
  for (const k of items) {
    const h = hash32(k);
    if (h >= cursor) {
      keys.push(k);
      hashes.push(h);
    }
  }
  if (keys.length <= count) {
    const order = keys.map((_, i) => i).sort((a, b) => hashes[a]! - hashes[b]!);
    return { next: 0, names: order.map((i) => keys[i]!) };
  }
  const threshold = kthSmallest(Uint32Array.from(hashes), count);
  const picked: number[] = [];
  let next = Infinity;
  for (let i = 0; i < keys.length; i++) {
    const h = hashes[i]!;
    if (h <= threshold) picked.push(i);
    else if (h < next) next = h;
  }
  picked.sort((a, b) => hashes[a]! - hashes[b]!);
  return { next: next === Infinity ? 0 : next, names: picked.map((i) => keys[i]!) };
}

export function matches(pattern: string | null, s: string): boolean {
  if (pattern === null) return true;
  if (pattern === '*') return true;
  return globMatch(pattern, s);
}

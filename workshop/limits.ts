// Rate limits: token buckets, and the key a client address is counted under.
import { isIPv4, isIPv6 } from 'node:net';

/** A bucket's size and refill rate. */
export interface Rate {
  burst: number;
  perSecond: number;
}

/**
 * Token buckets by key, kept in this process: `take` spends a token, or answers in how many
 * seconds one is back. Full buckets are forgotten now and then, so many passing keys cost no
 * memory. Stores shared by several hubs keep theirs in the store instead (see store/redis.ts).
 */
export function memoryBuckets() {
  const buckets = new Map<string, { tokens: number; at: number; burst: number; perSecond: number }>();
  const fill = (b: { tokens: number; at: number; burst: number; perSecond: number }, t: number) => Math.min(b.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * b.perSecond);
  return {
    take(key: string, rate: Rate, t: number): number {
      if (buckets.size > 10_000) for (const [k, b] of buckets) if (fill(b, t) >= b.burst) buckets.delete(k);
      const b = buckets.get(key) ?? { tokens: rate.burst, at: t, ...rate };
      b.tokens = fill(b, t);
      b.at = Math.max(b.at, t);
      buckets.set(key, b);
      if (b.tokens >= 1) return (b.tokens -= 1), 0;
      return Math.max(1, Math.ceil((1 - b.tokens) / rate.perSecond));
    },
  };
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null if it is not one. */
function ipv6Groups(address: string): number[] | null {
  const plain = address.split('%')[0]!;
  if (!isIPv6(plain)) return null;
  let text = plain;
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[2]!.split('.').map(Number) as [number, number, number, number];
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

/**
 * What a client's joins are counted under: an IPv4 address as it is (IPv4-mapped IPv6 too), and
 * an IPv6 address by its /64, since one host or home typically owns a whole /64 and could
 * otherwise take a fresh address for every join.
 */
export function addressKey(address: string): string {
  if (isIPv4(address)) return address;
  const g = ipv6Groups(address);
  if (!g) return address; // not an IP address (a test's '?'): counted as it is
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.');
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
}

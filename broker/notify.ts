// Keyspace notifications (notify.c): notify-keyspace-events flags and the
// __keyspace@<db>__ / __keyevent@<db>__ messages.

export const N = {
  KEYSPACE: 1 << 0,
  KEYEVENT: 1 << 1,
  GENERIC: 1 << 2,
  STRING: 1 << 3,
  LIST: 1 << 4,
  SET: 1 << 5,
  HASH: 1 << 6,
  ZSET: 1 << 7,
  EXPIRED: 1 << 8,
  EVICTED: 1 << 9,
  STREAM: 1 << 10,
  KEY_MISS: 1 << 11,
  MODULE: 1 << 12,
  NEW: 1 << 13,
} as const;

const ALL = N.GENERIC | N.STRING | N.LIST | N.SET | N.HASH | N.ZSET | N.EXPIRED | N.EVICTED | N.STREAM | N.MODULE;

/** keyspaceEventsStringToFlags; null for an invalid character. */
export function parseEventFlags(s: string): number | null {
  let f = 0;
  for (const ch of s) {
    switch (ch) {
      case 'A': f |= ALL; break;
      case 'g': f |= N.GENERIC; break;
      case '$': f |= N.STRING; break;
      case 'l': f |= N.LIST; break;
      case 's': f |= N.SET; break;
      case 'h': f |= N.HASH; break;
      case 'z': f |= N.ZSET; break;
      case 'x': f |= N.EXPIRED; break;
      case 'e': f |= N.EVICTED; break;
      case 'K': f |= N.KEYSPACE; break;
      case 'E': f |= N.KEYEVENT; break;
      case 't': f |= N.STREAM; break;
      case 'm': f |= N.KEY_MISS; break;
      case 'd': f |= N.MODULE; break;
      case 'n': f |= N.NEW; break;
      default: return null;
    }
  }
  return f;
}

/** keyspaceEventsFlagsToString. */
export function eventFlagsToString(f: number): string {
  let s = '';
  if ((f & ALL) === ALL) s += 'A';
  else {
    if (f & N.GENERIC) s += 'g';
    if (f & N.STRING) s += '$';
    if (f & N.LIST) s += 'l';
    if (f & N.SET) s += 's';
    if (f & N.HASH) s += 'h';
    if (f & N.ZSET) s += 'z';
    if (f & N.EXPIRED) s += 'x';
    if (f & N.EVICTED) s += 'e';
    if (f & N.STREAM) s += 't';
    if (f & N.MODULE) s += 'd';
    if (f & N.NEW) s += 'n';
  }
  if (f & N.KEYSPACE) s += 'K';
  if (f & N.KEYEVENT) s += 'E';
  if (f & N.KEY_MISS) s += 'm';
  return s;
}

const CLASS: Record<string, number> = {};
const add = (cls: number, events: string) => {
  for (const e of events.split(' ')) CLASS[e] = cls;
};
add(N.GENERIC, 'del expire rename_from rename_to persist copy_to move_from move_to restore');
add(N.STRING, 'set setrange incrby incrbyfloat append');
add(N.LIST, 'lpush rpush lpop rpop linsert lset lrem ltrim');
add(N.SET, 'sadd srem spop sinterstore sunionstore sdiffstore');
add(N.HASH, 'hset hdel hincrby hincrbyfloat');
add(N.ZSET, 'zadd zincr zrem zpopmin zpopmax zremrangebyrank zremrangebyscore zremrangebylex zunionstore zinterstore zdiffstore zrangestore');
add(N.EXPIRED, 'expired');
add(N.STREAM, 'xadd xtrim xdel xsetid');
add(N.NEW, 'new');

export function eventClass(event: string): number {
  return CLASS[event] ?? N.GENERIC;
}

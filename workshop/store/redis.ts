// The shared store: several hub instances behind a load balancer keep their records in one
// Redis (string keys holding JSON, a sorted set per list) and fan out through its pub/sub, so
// an attendee on one instance shows up on a console served by another.
import { Redis } from 'ioredis';
import { Attendee, Workshop, type Broadcast } from '../schema.ts';
import { CodeTaken, type WorkshopStore } from './types.ts';

export async function openRedisStore(url: string, prefix = 'hotpot:workshop:'): Promise<WorkshopStore> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
  const redis = new Redis(url, options);
  const sub = new Redis(url, options);
  // ioredis reconnects by itself; its errors surface as failed commands, not as crashes.
  for (const r of [redis, sub]) r.on('error', () => {});
  try {
    await redis.connect();
    await sub.connect();
  } catch (e) {
    redis.disconnect();
    sub.disconnect();
    throw new Error(`could not reach Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${(e as Error).message}`);
  }
  const k = {
    setting: (key: string) => `${prefix}setting:${key}`,
    workshop: (id: string) => `${prefix}w:${id}`,
    code: (code: string) => `${prefix}code:${code}`,
    workshops: `${prefix}workshops`,
    attendee: (id: string) => `${prefix}a:${id}`,
    attendees: (w: string) => `${prefix}w:${w}:attendees`,
    channel: `${prefix}events`,
  };
  const listeners = new Set<(m: Broadcast) => void>();
  await sub.subscribe(k.channel);
  sub.on('message', (_channel: string, raw: string) => {
    let message: Broadcast;
    try {
      message = JSON.parse(raw) as Broadcast;
    } catch {
      return; // not ours
    }
    listeners.forEach((l) => l(message));
  });
  const many = async <T>(ids: string[], key: (id: string) => string, parse: (v: unknown) => T): Promise<T[]> =>
    ids.length ? ((await redis.mget(ids.map(key))).filter((v): v is string => v !== null).map((v) => parse(JSON.parse(v)))) : [];

  /** Compare and set, atomically in Redis: written only if the key still holds what was read. */
  const CAS = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 else return 0 end";
  async function update<T>(key: string, parse: (v: unknown) => T, change: (v: T) => T | null): Promise<T | null> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const raw = await redis.get(key);
      if (raw === null) return null;
      const current = parse(JSON.parse(raw));
      const next = change(current);
      if (next === null) return current;
      const text = JSON.stringify(parse(next));
      if ((await redis.eval(CAS, 1, key, raw, text)) === 1) return next;
      // Another instance wrote it meanwhile: read again and redo the change on its result.
    }
    throw new Error(`could not update ${key}: it kept changing under this hub`);
  }

  const workshop = async (id: string): Promise<Workshop | null> => {
    const v = await redis.get(k.workshop(id));
    return v === null ? null : Workshop.parse(JSON.parse(v));
  };

  return {
    kind: 'redis',
    async setting(key, value) {
      await redis.set(k.setting(key), value, 'NX');
      return (await redis.get(k.setting(key)))!;
    },
    async createWorkshop(w) {
      const valid = Workshop.parse(w);
      // The code is claimed first, atomically: two instances cannot hand out one code twice.
      if ((await redis.set(k.code(w.code), w.id, 'NX')) !== 'OK') throw new CodeTaken(w.code);
      await redis.multi().set(k.workshop(w.id), JSON.stringify(valid)).zadd(k.workshops, w.createdAt, w.id).exec();
    },
    async saveWorkshop(w) {
      await redis.set(k.workshop(w.id), JSON.stringify(Workshop.parse(w)));
    },
    workshop,
    async workshopByCode(code) {
      const id = await redis.get(k.code(code));
      return id === null ? null : workshop(id);
    },
    async workshops() {
      return many(await redis.zrevrange(k.workshops, 0, -1), k.workshop, (v) => Workshop.parse(v));
    },
    async saveAttendee(a) {
      await redis.multi().set(k.attendee(a.id), JSON.stringify(Attendee.parse(a))).zadd(k.attendees(a.workshop), 'NX', a.joinedAt, a.id).exec();
    },
    updateAttendee: (id, change) => update(k.attendee(id), (v) => Attendee.parse(v), change),
    updateWorkshop: (id, change) => update(k.workshop(id), (v) => Workshop.parse(v), change),
    async attendee(id) {
      const v = await redis.get(k.attendee(id));
      return v === null ? null : Attendee.parse(JSON.parse(v));
    },
    async attendees(workshop) {
      return many(await redis.zrange(k.attendees(workshop), 0, -1), k.attendee, (v) => Attendee.parse(v));
    },
    async publish(message) {
      await redis.publish(k.channel, JSON.stringify(message));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await Promise.allSettled([redis.quit(), sub.quit()]);
    },
  };
}

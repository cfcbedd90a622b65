// The shared store: several hub instances behind a load balancer keep their records in one
// Redis (string keys holding JSON, a sorted set per list) and fan out through its pub/sub, so
// an attendee on one instance shows up on a console served by another.
//
// Every round trip to Redis is a wait for two processes to be scheduled, which on a loaded
// machine is what a class's latency is made of: an update is one round trip (a script that
// compares, writes and publishes), starting from the value this hub wrote last. An attendee's
// event spends its rate-limit token in that same script, so the limit holds across hubs at no
// extra round trip.
import { Redis } from 'ioredis';
import type { Rate } from '../limits.ts';
import { Attendee, Workshop, type Broadcast } from '../schema.ts';
import { CodeTaken, Limited, type Spend, type WorkshopStore } from './types.ts';

export async function openRedisStore(url: string, prefix = 'hotpot:workshop:'): Promise<WorkshopStore> {
  // Auto-pipelining: commands from many attendees in one turn of the event loop leave in one write.
  const options = { lazyConnect: true, maxRetriesPerRequest: 3, enableAutoPipelining: true };
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
    // A string "tokens at" (keys under the older limit: prefix were hashes; they expire by themselves).
    bucket: (key: string) => `${prefix}bucket:${key}`,
  };
  const listeners = new Set<(m: Broadcast, text: string) => void>();
  await sub.subscribe(k.channel);
  sub.on('message', (_channel: string, raw: string) => {
    let message: Broadcast;
    try {
      message = JSON.parse(raw) as Broadcast;
    } catch {
      return; // not ours
    }
    listeners.forEach((l) => l(message, raw));
  });
  const many = async <T>(ids: string[], key: (id: string) => string, parse: (v: unknown) => T): Promise<T[]> =>
    ids.length ? ((await redis.mget(ids.map(key))).filter((v): v is string => v !== null).map((v) => parse(JSON.parse(v)))) : [];

  /**
   * A token bucket kept in Redis, so every hub spends from the same one. `spend(state, burst,
   * tokens per ms, the hub's clock in ms)` answers 0, the bucket's next state ("tokens at") and
   * how long until it is full again (ms), or the seconds until a token is back (and the bucket
   * is left as it is). A hub whose clock is behind the bucket's refills nothing.
   */
  const spendLua = `local function spend(state, burst, rate, now)
      local tokens, at = burst, now
      if state then
        local t, a = string.match(state, '^(%S+) (%S+)$')
        tokens, at = tonumber(t) or burst, tonumber(a) or now
      end
      tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
      if tokens < 1 then return math.max(1, math.ceil((1 - tokens) / rate / 1000)) end
      tokens = tokens - 1
      return 0, string.format('%.17g %.17g', tokens, math.max(now, at)), math.ceil((burst - tokens) / rate) + 1000
    end
    `;
  /**
   * Compare, set and publish in one step: written only if KEYS[1] still holds ARGV[1] (what
   * this hub saw last), then ARGV[3] (if any) published on ARGV[4], so the write always comes
   * before the news. With ARGV[5..7] (burst, tokens per second, the hub's clock) a token is
   * spent from the bucket KEYS[2] too, read and written with the record (MGET, MSET: as many
   * commands as without it); the bucket then lasts as long as the record. Answers {1}, {0}
   * when the record is gone, {2, what it holds now}, or {3, seconds until a token is back}
   * (nothing written, no token spent unless {1}).
   */
  redis.defineCommand('hotpotUpdate', {
    numberOfKeys: 2,
    lua: `${spendLua}local cur, state
      if ARGV[5] == '' then
        cur = redis.call('GET', KEYS[1])
      else
        local v = redis.call('MGET', KEYS[1], KEYS[2])
        cur = v[1]
        if cur then
          local wait
          wait, state = spend(v[2], tonumber(ARGV[5]), tonumber(ARGV[6]) / 1000, tonumber(ARGV[7]))
          if wait > 0 then return {3, wait} end
        end
      end
      if not cur then return {0} end
      if cur ~= ARGV[1] then return {2, cur} end
      if state then redis.call('MSET', KEYS[1], ARGV[2], KEYS[2], state) else redis.call('SET', KEYS[1], ARGV[2]) end
      if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[3]) end
      return {1}`,
  });
  /** Read KEYS[1] and spend a token from the bucket KEYS[2]: {1, the record}, {0} when it is gone (nothing spent), or {3, seconds}. */
  redis.defineCommand('hotpotRead', {
    numberOfKeys: 2,
    lua: `${spendLua}local v = redis.call('MGET', KEYS[1], KEYS[2])
      if not v[1] then return {0} end
      local wait, state, ttl = spend(v[2], tonumber(ARGV[1]), tonumber(ARGV[2]) / 1000, tonumber(ARGV[3]))
      if wait > 0 then return {3, wait} end
      redis.call('SET', KEYS[2], state, 'PX', ttl)
      return {1, v[1]}`,
  });
  /** Spend a token from the bucket KEYS[1]: 0, or the seconds until one is back. The key expires once the bucket is full again. */
  redis.defineCommand('hotpotTake', {
    numberOfKeys: 1,
    lua: `${spendLua}local wait, state, ttl = spend(redis.call('GET', KEYS[1]), tonumber(ARGV[1]), tonumber(ARGV[2]) / 1000, tonumber(ARGV[3]))
      if wait == 0 then redis.call('SET', KEYS[1], state, 'PX', ttl) end
      return wait`,
  });
  type Scripts = {
    hotpotUpdate(key: string, bucket: string, expected: string, next: string, message: string, channel: string, burst: number | '', perSecond: number | '', now: number | ''): Promise<[number, (string | number)?]>;
    hotpotRead(key: string, bucket: string, burst: number, perSecond: number, now: number): Promise<[number, (string | number)?]>;
    hotpotTake(key: string, burst: number, perSecond: number, now: number): Promise<number>;
  };
  const scripts = redis as unknown as Scripts;

  /**
   * What this hub last wrote to each record it changes, so the next change starts from it
   * without a read. Another hub's write in between only costs the script's retry. The most
   * recently written 5,000 (a few classes' worth) are kept.
   */
  const last = new Map<string, string>();
  const remember = (key: string, raw: string) => {
    last.delete(key);
    last.set(key, raw);
    if (last.size > 5_000) last.delete(last.keys().next().value!);
  };

  async function update<T>(key: string, parse: (v: unknown) => T, change: (v: T) => T | null, announce?: (v: T) => Broadcast, spend?: Spend): Promise<T | null> {
    /** The token still to spend: by the write, or by a read when there is nothing to write. */
    let pending = spend;
    const read = async (): Promise<string | null> => {
      if (!pending) return redis.get(key);
      const [status, value] = await scripts.hotpotRead(key, k.bucket(pending.bucket), pending.rate.burst, pending.rate.perSecond, pending.now);
      if (status === 3) throw new Limited(Number(value));
      if (status === 0) return null;
      pending = undefined;
      return String(value);
    };
    let raw = last.get(key) ?? null;
    let remembered = raw !== null;
    if (raw === null) raw = await read();
    for (let attempt = 0; attempt < 100; attempt++) {
      if (raw === null) return last.delete(key), null;
      // What this hub wrote was validated then; what it reads is validated now.
      const current = remembered ? (JSON.parse(raw) as T) : parse(JSON.parse(raw));
      const next = change(current);
      if (next === null) {
        if (!remembered && !pending) return current;
        // "Nothing to change" must be decided on what Redis holds, not on what this hub saw
        // (and a message that changes nothing still spends its token).
        raw = await read();
        remembered = false;
        continue;
      }
      const value = parse(next);
      const text = JSON.stringify(value);
      const message = announce ? JSON.stringify(announce(value)) : '';
      const [status, now] = pending
        ? await scripts.hotpotUpdate(key, k.bucket(pending.bucket), raw, text, message, k.channel, pending.rate.burst, pending.rate.perSecond, pending.now)
        : await scripts.hotpotUpdate(key, key, raw, text, message, k.channel, '', '', '');
      if (status === 1) return remember(key, text), value;
      if (status === 3) throw new Limited(Number(now));
      // Gone, or another instance wrote it meanwhile: redo the change on what it holds now.
      raw = status === 0 ? null : String(now);
      remembered = false;
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
    async saveAttendee(a, announce) {
      const text = JSON.stringify(Attendee.parse(a));
      const m = redis.multi().set(k.attendee(a.id), text).zadd(k.attendees(a.workshop), 'NX', a.joinedAt, a.id);
      if (announce) m.publish(k.channel, JSON.stringify(announce));
      await m.exec();
      remember(k.attendee(a.id), text);
    },
    updateAttendee: (id, change, announce, spend) => update(k.attendee(id), (v) => Attendee.parse(v), change, announce, spend),
    updateWorkshop: (id, change, announce) => update(k.workshop(id), (v) => Workshop.parse(v), change, announce),
    async attendee(id) {
      const v = await redis.get(k.attendee(id));
      return v === null ? null : Attendee.parse(JSON.parse(v));
    },
    async attendees(workshop) {
      return many(await redis.zrange(k.attendees(workshop), 0, -1), k.attendee, (v) => Attendee.parse(v));
    },
    attendeeCount: (workshop) => redis.zcard(k.attendees(workshop)),
    take: (key: string, rate: Rate, now: number) => scripts.hotpotTake(k.bucket(key), rate.burst, rate.perSecond, now),
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

// One contract for both workshop stores: SQLite (a file) and Redis (a real redis-server).
// Each case opens stores through `open`, which for both kinds reaches the same data, as a
// restarted hub (or a second hub instance) would.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { publicAttendee, type Attendee, type Broadcast, type Workshop } from '../../workshop/schema.ts';
import { openRedisStore } from '../../workshop/store/redis.ts';
import { openSqliteStore } from '../../workshop/store/sqlite.ts';
import { CodeTaken, Limited, type WorkshopStore } from '../../workshop/store/types.ts';
import { startRedis, type RedisProcess } from '../broker/harness.ts';

const workshop = (over: Partial<Workshop> = {}): Workshop => ({
  id: 'w1',
  code: 'K7M2QX',
  title: 'Queues, Tuesday',
  lessons: ['async-tasks'],
  createdAt: 1000,
  endsAt: null,
  ended: false,
  follow: null,
  pace: null,
  broadcast: null,
  shared: null,
  ...over,
});
const attendee = (over: Partial<Attendee> = {}): Attendee => ({
  id: 'a1',
  workshop: 'w1',
  name: 'Ada',
  secretHash: 'h',
  joinedAt: 2000,
  lastSeen: 2000,
  lesson: null,
  step: null,
  stepSince: null,
  steps: {},
  note: null,
  runtime: null,
  results: {},
  ...over,
});

function contract(kind: string, open: () => Promise<WorkshopStore>) {
  describe(`workshop store contract: ${kind}`, () => {
    const opened: WorkshopStore[] = [];
    const fresh = async () => {
      const s = await open();
      opened.push(s);
      return s;
    };
    after(async () => {
      for (const s of opened) await s.close();
    });

    test('a setting keeps its first value, across a reopen', async () => {
      const s = await fresh();
      assert.equal(await s.setting('instructor-secret', 'first'), 'first');
      assert.equal(await s.setting('instructor-secret', 'second'), 'first');
      await s.close();
      assert.equal(await (await fresh()).setting('instructor-secret', 'third'), 'first');
    });

    test('workshops are found by id and by code, newest first, and a code is never handed out twice', async () => {
      const s = await fresh();
      await s.createWorkshop(workshop());
      await s.createWorkshop(workshop({ id: 'w2', code: 'ABCDEF', title: 'Later', createdAt: 5000 }));
      await assert.rejects(s.createWorkshop(workshop({ id: 'w3', code: 'ABCDEF' })), CodeTaken);
      assert.equal((await s.workshop('w1'))?.title, 'Queues, Tuesday');
      assert.equal((await s.workshopByCode('ABCDEF'))?.id, 'w2');
      assert.equal(await s.workshopByCode('ZZZZZZ'), null);
      assert.equal(await s.workshop('w3'), null);
      assert.deepEqual((await s.workshops()).map((w) => w.id), ['w2', 'w1']);
      await s.saveWorkshop({ ...(await s.workshop('w1'))!, follow: { lesson: 'async-tasks', step: 'retries-with-backoff', at: 3000 }, ended: true });
      const back = await s.workshop('w1');
      assert.deepEqual(back?.follow, { lesson: 'async-tasks', step: 'retries-with-backoff', at: 3000 });
      assert.equal(back?.ended, true);
    });

    test('attendees stay in join order when they change, and only in their workshop', async () => {
      const s = await fresh();
      await s.saveAttendee(attendee({ id: 'a2', name: 'Grace', joinedAt: 2500 }));
      await s.saveAttendee(attendee());
      await s.saveAttendee(attendee({ id: 'x1', workshop: 'w2', joinedAt: 100 }));
      await s.saveAttendee(attendee({ id: 'a2', name: 'Grace', joinedAt: 2500, lesson: 'async-tasks', step: 'make-it-async', steps: { 'async-tasks/make-it-async': { state: 'failed', fails: 2, lastReason: 'no job', at: 9 } } }));
      const list = await s.attendees('w1');
      assert.deepEqual(list.map((a) => a.id), ['a1', 'a2']);
      assert.equal(list[1]!.steps['async-tasks/make-it-async']?.fails, 2);
      assert.deepEqual((await s.attendees('w2')).map((a) => a.id), ['x1']);
      assert.equal((await s.attendee('a2'))?.lesson, 'async-tasks');
      assert.equal(await s.attendee('nobody'), null);
    });

    test('everything is still there after the store is closed and opened again', async () => {
      const s = await fresh();
      await s.close();
      const again = await fresh();
      assert.equal((await again.workshop('w1'))?.ended, true);
      assert.deepEqual((await again.attendees('w1')).map((a) => a.name), ['Ada', 'Grace']);
    });

    test('an invalid record is refused and nothing is written', async () => {
      const s = await fresh();
      await assert.rejects(s.saveAttendee({ ...attendee({ id: 'bad' }), steps: { x: { state: 'exploded' } } } as unknown as Attendee));
      assert.equal(await s.attendee('bad'), null);
      await assert.rejects(s.createWorkshop(workshop({ id: 'w9', code: 'lower1' })));
      assert.equal(await s.workshop('w9'), null);
    });

    test('updates from two stores on the same data at once lose none of each other’s changes', async () => {
      const [s1, s2] = [await fresh(), await fresh()];
      await s1.saveAttendee(attendee({ id: 'counter', lastSeen: 0 }));
      const bump = (s: WorkshopStore) => s.updateAttendee('counter', (a) => ({ ...a, lastSeen: a.lastSeen + 1 }));
      await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i % 2 ? s1 : s2)));
      assert.equal((await s1.attendee('counter'))?.lastSeen, 40);
      assert.equal(await s1.updateAttendee('nobody', (a) => a), null);
      const same = await s2.updateAttendee('counter', () => null);
      assert.equal(same?.lastSeen, 40, 'no change: the record as it is');
      await s1.updateWorkshop('w1', (w) => ({ ...w, title: 'Renamed' }));
      assert.equal((await s2.workshop('w1'))?.title, 'Renamed');
    });

    test('"nothing to change" is decided on the record as stored, not on what this store wrote last', async () => {
      const [s1, s2] = [await fresh(), await fresh()];
      await s1.saveAttendee(attendee({ id: 'helped' }));
      await s1.updateAttendee('helped', (a) => ({ ...a, lastSeen: 3000 }));
      await s2.updateAttendee('helped', (a) => ({ ...a, note: { kind: 'help', text: 'stuck', at: 3000 } }));
      // s1 last wrote it without a note: resolving must still see the note s2 added.
      const resolved = await s1.updateAttendee('helped', (a) => (a.note?.kind === 'help' ? { ...a, note: null } : null));
      assert.equal(resolved?.note, null);
      assert.equal((await s2.attendee('helped'))?.note, null);
      assert.equal((await s2.attendee('helped'))?.lastSeen, 3000);
    });

    test('an update publishes its announcement once written, and nothing when nothing changed', async () => {
      const s = await fresh();
      const seen: Broadcast[] = [];
      s.subscribe((m) => seen.push(m));
      await s.saveAttendee(attendee({ id: 'told' }), { type: 'attendee', workshop: 'w1', attendee: publicAttendee(attendee({ id: 'told' })) });
      await waitUntil(() => seen.length === 1);
      const announce = (a: Attendee): Broadcast => ({ type: 'workshop', workshop: workshop({ title: `${a.name} changed` }) });
      await s.updateAttendee('told', (a) => ({ ...a, name: 'Grace' }), announce);
      await waitUntil(() => seen.length === 2);
      assert.equal(seen[1]?.type === 'workshop' && seen[1].workshop.title, 'Grace changed');
      assert.equal((await s.attendee('told'))?.name, 'Grace', 'written before it was told');
      await s.updateAttendee('told', () => null, announce);
      await s.updateAttendee('nobody', (a) => a, announce);
      await s.publish({ type: 'workshop', workshop: workshop({ title: 'marker' }) });
      await waitUntil(() => seen.length === 3);
      assert.equal(seen[2]?.type === 'workshop' && seen[2].workshop.title, 'marker', 'no announcement without a change');
    });

    test('a rate limit: its burst, then the seconds until a token is back, refilled as time passes; keys are separate', async () => {
      const s = await fresh();
      const rate = { burst: 2, perSecond: 0.5 };
      const key = `joins-${Math.random()}`;
      assert.equal(await s.take(key, rate, 10_000), 0);
      assert.equal(await s.take(key, rate, 10_000), 0);
      assert.equal(await s.take(key, rate, 10_000), 2);
      assert.equal(await s.take(`${key}-other`, rate, 10_000), 0);
      assert.equal(await s.take(key, rate, 12_000), 0, 'two seconds later one token is back');
      assert.equal(await s.take(key, rate, 11_000), 2, 'a clock behind the bucket refills nothing');
    });

    test('an update spends a rate-limit token with it: past the burst nothing is written and it fails with Limited; a change of nothing spends too; take shares the bucket', async () => {
      const s = await fresh();
      // Written by another store: the first update here starts from a read, later ones from what it wrote.
      await (await fresh()).saveAttendee(attendee({ id: 'limited', lastSeen: 0 }));
      const spend = { bucket: `message:limited-${Math.random()}`, rate: { burst: 3, perSecond: 1 }, now: 50_000 };
      const bump = (now = 50_000) => s.updateAttendee('limited', (a) => ({ ...a, lastSeen: a.lastSeen + 1 }), undefined, { ...spend, now });
      assert.equal((await bump())?.lastSeen, 1);
      assert.equal((await bump())?.lastSeen, 2);
      assert.equal((await s.updateAttendee('limited', () => null, undefined, spend))?.lastSeen, 2, 'nothing to change: the record as it is');
      await assert.rejects(bump(), (e) => e instanceof Limited && e.wait === 1);
      await assert.rejects(s.updateAttendee('limited', () => null, undefined, spend), Limited);
      assert.equal((await s.attendee('limited'))?.lastSeen, 2, 'the refused change was not written');
      assert.equal(await s.take(spend.bucket, spend.rate, 50_000), 1, 'take spends from the same bucket');
      assert.equal((await bump(51_000))?.lastSeen, 3, 'a second later one token is back');
      assert.equal((await s.updateAttendee('limited', (a) => ({ ...a, lastSeen: 10 })))?.lastSeen, 10, 'an update without a token to spend is not limited');
    });

    test('a published message reaches every subscriber, and an unsubscribed one no more', async () => {
      const s = await fresh();
      const seen: Broadcast[] = [];
      const seen2: Broadcast[] = [];
      const off = s.subscribe((m) => seen.push(m));
      s.subscribe((m) => seen2.push(m));
      const m: Broadcast = { type: 'workshop', workshop: workshop() };
      await s.publish(m);
      await waitUntil(() => seen.length === 1 && seen2.length === 1);
      assert.deepEqual(seen[0], m);
      off();
      await s.publish(m);
      await waitUntil(() => seen2.length === 2);
      assert.equal(seen.length, 1);
    });
  });
}

async function waitUntil(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hotpot-workshop-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
contract('SQLite', async () => openSqliteStore(join(dir, 'workshop.db')));

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => redis?.stop());
contract('Redis', () => openRedisStore(`redis://127.0.0.1:${redis.port}`));

describe('Redis store: several hub instances', () => {
  test('a message published by one instance reaches the others, and records are shared', async () => {
    const a = await openRedisStore(`redis://127.0.0.1:${redis.port}`, 'two:');
    const b = await openRedisStore(`redis://127.0.0.1:${redis.port}`, 'two:');
    try {
      const seen: Broadcast[] = [];
      b.subscribe((m) => seen.push(m));
      await a.createWorkshop(workshop({ id: 'shared', code: 'SHARED' }));
      await a.publish({ type: 'workshop', workshop: (await a.workshop('shared'))! });
      await waitUntil(() => seen.length === 1);
      assert.equal((await b.workshopByCode('SHARED'))?.id, 'shared');
      await assert.rejects(b.createWorkshop(workshop({ id: 'other', code: 'SHARED' })), CodeTaken);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('two instances spend from one rate-limit bucket', async () => {
    const [a, b] = [await openRedisStore(`redis://127.0.0.1:${redis.port}`), await openRedisStore(`redis://127.0.0.1:${redis.port}`)];
    try {
      const rate = { burst: 3, perSecond: 1 };
      assert.deepEqual([await a.take('shared', rate, 0), await b.take('shared', rate, 0), await a.take('shared', rate, 0), await b.take('shared', rate, 0)], [0, 0, 0, 1]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('updates through two instances spend from one bucket, once per update even when a retry redoes it', async () => {
    const [a, b] = [await openRedisStore(`redis://127.0.0.1:${redis.port}`, 'spend:'), await openRedisStore(`redis://127.0.0.1:${redis.port}`, 'spend:')];
    try {
      await a.saveAttendee(attendee({ id: 'tabs', lastSeen: 0 }));
      const spend = { bucket: 'message:tabs', rate: { burst: 4, perSecond: 1 }, now: 0 };
      const bump = (s: WorkshopStore) => s.updateAttendee('tabs', (x) => ({ ...x, lastSeen: x.lastSeen + 1 }), undefined, spend);
      await bump(a);
      await bump(b);
      await bump(a); // a last wrote 1, Redis holds 2: the script refuses the stale write, a redoes it
      assert.equal((await b.attendee('tabs'))?.lastSeen, 3);
      assert.equal(await b.take(spend.bucket, spend.rate, 0), 0, 'three updates spent three tokens of four');
      await assert.rejects(bump(b), Limited);
      await assert.rejects(bump(a), Limited);
      assert.equal((await a.attendee('tabs'))?.lastSeen, 3);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('an unreachable Redis is a clear error, not a hang', async () => {
    await assert.rejects(openRedisStore('redis://127.0.0.1:1'), /could not reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});

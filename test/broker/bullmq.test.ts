// BullMQ 6.7 and ioredis 5, unmodified, against the embedded broker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, QueueEvents, Worker, FlowProducer, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createBroker, type Broker } from '../../broker/server.ts';

let broker: Broker;
let connection: { host: string; port: number; maxRetriesPerRequest: null };
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  broker = await createBroker({ port: 0 });
  connection = { host: '127.0.0.1', port: broker.port, maxRetriesPerRequest: null };
});

after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await broker.close();
});

function track<T extends { close(): Promise<unknown> }>(x: T): T {
  closers.push(() => x.close());
  return x;
}

function waitFor<T>(fn: (resolve: (v: T) => void) => void, ms = 10000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    fn((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

test('ioredis basics, pipelines, MULTI and defineCommand', async () => {
  const r = new Redis({ ...connection, lazyConnect: true });
  await r.connect();
  try {
    assert.equal(await r.ping(), 'PONG');
    await r.set('k', Buffer.from([0x93, 0xff, 0x00, 0x41]));
    assert.deepEqual(await r.getBuffer('k'), Buffer.from([0x93, 0xff, 0x00, 0x41]));
    const res = await r.pipeline().incr('n').incr('n').hset('h', { a: '1', b: '2' }).hgetall('h').exec();
    assert.deepEqual(res, [[null, 1], [null, 2], [null, 2], [null, { a: '1', b: '2' }]]);
    const m = await r.multi().set('x', '1').incr('x').exec();
    assert.deepEqual(m, [[null, 'OK'], [null, 2]]);
    r.defineCommand('addTwo', { numberOfKeys: 1, lua: "return redis.call('incrby', KEYS[1], tonumber(ARGV[1]) + 2)" });
    assert.equal(await (r as unknown as { addTwo(k: string, n: number): Promise<number> }).addTwo('ctr', 5), 7);
    await assert.rejects(r.call('nosuchcommand'), /unknown command/);
  } finally {
    r.disconnect();
  }
});

test('a job is added, processed, and QueueEvents reports it completed', async () => {
  const q = track(new Queue('basic', { connection }));
  const events = track(new QueueEvents('basic', { connection }));
  await events.waitUntilReady();
  const completed = waitFor<{ jobId: string; returnvalue: unknown }>((res) => events.on('completed', (e) => res(e)));
  track(new Worker('basic', async (job: Job) => ({ doubled: job.data.x * 2 }), { connection }));
  const job = await q.add('double', { x: 21 });
  const e = await completed;
  assert.equal(e.jobId, job.id);
  assert.deepEqual(e.returnvalue, { doubled: 42 });
  const done = await q.getJob(job.id!);
  assert.deepEqual(done?.returnvalue, { doubled: 42 });
  assert.equal(await done?.getState(), 'completed');
  const counts = await q.getJobCounts('completed', 'waiting', 'active');
  assert.deepEqual(counts, { completed: 1, waiting: 0, active: 0 });
});

test('a delayed job waits, then runs', async () => {
  const q = track(new Queue('delayed', { connection }));
  const processed = waitFor<Job>((res) => {
    track(new Worker('delayed', async (job: Job) => res(job), { connection }));
  });
  const job = await q.add('later', { when: 'later' }, { delay: 500 });
  assert.equal(await job.getState(), 'delayed');
  const ran = await processed;
  assert.equal(ran.id, job.id);
  // The delay is honoured (a lower bound from the job's own timestamps).
  assert.ok(ran.processedOn! - ran.timestamp >= 500, `processed ${ran.processedOn! - ran.timestamp} ms after being added`);
});

test('retries with backoff, then success; exhausted retries fail', async () => {
  const q = track(new Queue('retry', { connection }));
  const events = track(new QueueEvents('retry', { connection }));
  await events.waitUntilReady();
  const attemptsSeen: number[] = [];
  const times: number[] = [];
  track(
    new Worker(
      'retry',
      async (job: Job) => {
        attemptsSeen.push(job.attemptsMade);
        times.push(Date.now());
        if (job.name === 'flaky' && job.attemptsMade < 2) throw new Error(`boom ${job.attemptsMade}`);
        if (job.name === 'doomed') throw new Error('always');
        return 'ok';
      },
      { connection },
    ),
  );
  const completed = waitFor<string>((res) => events.on('completed', ({ jobId }) => res(jobId)));
  const flaky = await q.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 200 } });
  assert.equal(await completed, flaky.id);
  assert.deepEqual(attemptsSeen, [0, 1, 2]);
  assert.ok(times[1]! - times[0]! >= 180 && times[2]! - times[1]! >= 180, `backoff gaps ${times[1]! - times[0]!}, ${times[2]! - times[1]!}`);
  const failed = waitFor<{ jobId: string; failedReason: string }>((res) => events.on('failed', (e) => res(e)));
  const doomed = await q.add('doomed', {}, { attempts: 2, backoff: { type: 'exponential', delay: 50 } });
  const f = await failed;
  assert.equal(f.jobId, doomed.id);
  assert.equal(f.failedReason, 'always');
  const job = await q.getJob(doomed.id!);
  assert.equal(job?.attemptsMade, 2);
  assert.equal(await job?.getState(), 'failed');
});

test('priorities, progress, job removal and parent/child flows', async () => {
  const q = track(new Queue('misc', { connection }));
  await q.pause();
  await q.add('low', { n: 1 }, { priority: 10 });
  await q.add('high', { n: 2 }, { priority: 1 });
  await q.add('none', { n: 3 });
  const order: string[] = [];
  const allDone = waitFor<void>((res) => {
    const w = track(
      new Worker(
        'misc',
        async (job: Job) => {
          await job.updateProgress(50);
          order.push(job.name);
          if (order.length === 3) res();
        },
        { connection, concurrency: 1 },
      ),
    );
    void w;
  });
  await q.resume();
  await allDone;
  assert.deepEqual(order, ['none', 'high', 'low']);
  const removable = await q.add('gone', {}, { delay: 60000 });
  await removable.remove();
  assert.equal(await q.getJob(removable.id!), undefined);

  const flows = track(new FlowProducer({ connection }));
  const childrenDone = waitFor<unknown>((res) => {
    track(new Worker('parent', async (job: Job) => res(await job.getChildrenValues()), { connection }));
  });
  track(new Worker('child', async (job: Job) => job.data.v * 10, { connection }));
  await flows.add({ name: 'p', queueName: 'parent', children: [{ name: 'c1', queueName: 'child', data: { v: 1 } }, { name: 'c2', queueName: 'child', data: { v: 2 } }] });
  const values = Object.values((await childrenDone) as Record<string, number>).sort();
  assert.deepEqual(values, [10, 20]);
});

test('job schedulers repeat, the rate limiter holds jobs back', async () => {
  const q = track(new Queue('sched', { connection }));
  await q.upsertJobScheduler('every', { every: 100 }, { name: 'tick', data: { a: 1 } });
  const ids: string[] = [];
  const threeTicks = waitFor<void>((res) => {
    track(
      new Worker(
        'sched',
        async (job: Job) => {
          ids.push(job.id!);
          if (ids.length === 3) res();
        },
        { connection },
      ),
    );
  }, 15000);
  await threeTicks;
  assert.ok(ids.every((id) => id.startsWith('repeat:every:')), ids.join());
  assert.equal(new Set(ids).size, ids.length);
  const [scheduler] = await q.getJobSchedulers();
  assert.equal(scheduler?.key, 'every');
  await q.removeJobScheduler('every');
  assert.deepEqual(await q.getJobSchedulers(), []);

  const lim = track(new Queue('limited', { connection }));
  const starts: number[] = [];
  const allDone = waitFor<void>((res) => {
    track(
      new Worker(
        'limited',
        async () => {
          starts.push(Date.now());
          if (starts.length === 4) res();
        },
        { connection, limiter: { max: 2, duration: 300 } },
      ),
    );
  }, 15000);
  for (let i = 0; i < 4; i++) await lim.add('j', { i });
  await allDone;
  // Only two jobs may start within one 300 ms window.
  assert.ok(starts[2]! - starts[0]! >= 250, `third job started ${starts[2]! - starts[0]!} ms after the first`);
});

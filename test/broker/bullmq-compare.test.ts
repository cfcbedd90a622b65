// BullMQ 6 scenarios run against BOTH a real redis-server (Debian's 7.0) and the
// embedded broker. Each scenario returns a normalised record of what BullMQ
// observably did (job ids, names, states, return values, attempts, counts,
// events, order where BullMQ defines it) — never timings — and the two records
// must be deepEqual. A few absolute expectations per scenario make sure a bug
// shared by both servers cannot pass silently.
// BULLMQ_COMPARE_DUMP=1 prints each scenario's record (as redis-server produced it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents, Worker, FlowProducer, type Job, type Processor, type WorkerOptions, type QueueOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { createBroker, type Broker } from '../../broker/server.ts';
import { startRedis, type RedisProcess } from './harness.ts';

type Target = 'redis' | 'broker';

let redis: RedisProcess;
let broker: Broker;

before(async () => {
  redis = await startRedis();
  broker = await createBroker({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await broker?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `cond` until it holds; fail with a clear message after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Everything one scenario run needs on one server; closes all it made. */
class Ctx {
  readonly connection: { host: string; port: number; maxRetriesPerRequest: null };
  private closers: (() => Promise<unknown>)[] = [];
  private children: ChildProcess[] = [];
  readonly target: Target;
  readonly port: number;
  readonly prefix: string;
  constructor(target: Target, port: number, prefix: string) {
    this.target = target;
    this.port = port;
    this.prefix = prefix;
    this.connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  }
  /** A queue name unique to this scenario and server. */
  name(suffix = ''): string {
    return `${this.prefix}${suffix ? `-${suffix}` : ''}-${this.target}`;
  }
  private track<T extends { close(): Promise<unknown> }>(x: T): T {
    this.closers.push(() => x.close());
    return x;
  }
  queue(name: string, opts: Partial<QueueOptions> = {}): Queue {
    return this.track(new Queue(name, { connection: this.connection, ...opts }));
  }
  worker(name: string, fn: Processor, opts: Partial<WorkerOptions> = {}): Worker {
    const w = this.track(new Worker(name, fn, { connection: this.connection, ...opts }));
    w.on('error', () => {});
    return w;
  }
  /** QueueEvents plus the list of every event name it emits (bar 'drained', emitted whenever a worker finds the queue empty). */
  async eventNames(name: string | QueueEvents): Promise<string[]> {
    const ev = typeof name === 'string' ? await this.events(name) : name;
    const names: string[] = [];
    const emit = ev.emit.bind(ev) as (event: string, ...args: unknown[]) => boolean;
    (ev as unknown as { emit: typeof emit }).emit = (event, ...args) => {
      if (event !== 'drained' && !event.includes(':')) names.push(event);
      return emit(event, ...args);
    };
    return names;
  }
  async events(name: string): Promise<QueueEvents> {
    // From the start of the stream, so no event is lost before the first XREAD.
    const e = this.track(new QueueEvents(name, { connection: this.connection, lastEventId: '0-0' }));
    await e.waitUntilReady();
    return e;
  }
  flow(): FlowProducer {
    return this.track(new FlowProducer({ connection: this.connection }));
  }
  onClose(fn: () => Promise<unknown>): void {
    this.closers.push(fn);
  }
  spawned(c: ChildProcess): ChildProcess {
    this.children.push(c);
    return c;
  }
  async close(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of this.closers.reverse()) await c().catch(() => {});
  }
}

/** Run the scenario on redis-server, then on the broker; the records must match. */
async function compare<T>(scenario: string, run: (ctx: Ctx) => Promise<T>): Promise<T> {
  const records: Partial<Record<Target, T>> = {};
  for (const target of ['redis', 'broker'] as const) {
    const ctx = new Ctx(target, target === 'redis' ? redis.port : broker.port, `cmp-${scenario}`);
    try {
      records[target] = await run(ctx);
    } catch (e) {
      (e as Error).message = `[${target}] ${(e as Error).message}`;
      throw e;
    } finally {
      await ctx.close();
    }
  }
  if (process.env.BULLMQ_COMPARE_DUMP) console.log(scenario, JSON.stringify(records.redis));
  assert.deepEqual(records.broker, records.redis, `scenario ${scenario}: the broker's outcome differs from redis-server's`);
  return records.redis!;
}

/** The observable facts of one job. */
async function snap(q: Queue, id: string) {
  const j = await q.getJob(id);
  if (!j) return null;
  return {
    id: j.id,
    name: j.name,
    data: j.data,
    state: await j.getState(),
    returnvalue: j.returnvalue ?? null,
    attemptsMade: j.attemptsMade,
    attemptsStarted: j.attemptsStarted,
    stalledCounter: j.stalledCounter,
    failedReason: j.failedReason ?? null,
    progress: j.progress,
    delay: j.delay,
    priority: j.priority,
    finished: j.finishedOn !== undefined,
  };
}

const T = { timeout: 30000 };

test('add and process', T, async () => {
  const r = await compare('add', async (ctx) => {
    const q = ctx.queue(ctx.name());
    const ids: string[] = [];
    for (const x of [1, 2, 3]) ids.push((await q.add(`double-${x}`, { x })).id!);
    const order: string[] = [];
    ctx.worker(
      ctx.name(),
      async (job: Job) => {
        order.push(job.id!);
        return { doubled: job.data.x * 2 };
      },
      { concurrency: 1 },
    );
    await until(async () => (await q.getCompletedCount()) === 3, '3 completed jobs');
    return { ids, order, jobs: await Promise.all(ids.map((id) => snap(q, id))), counts: await q.getJobCounts('completed', 'waiting', 'active', 'failed') };
  });
  assert.deepEqual(r.ids, ['1', '2', '3']);
  assert.deepEqual(r.order, ['1', '2', '3']);
  assert.deepEqual(
    r.jobs.map((j) => [j?.state, j?.returnvalue]),
    [1, 2, 3].map((x) => ['completed', { doubled: 2 * x }]),
  );
  assert.deepEqual(r.counts, { completed: 3, waiting: 0, active: 0, failed: 0 });
});

test('delayed job', T, async () => {
  const r = await compare('delayed', async (ctx) => {
    const q = ctx.queue(ctx.name());
    const later = await q.add('later', { n: 1 }, { delay: 200 });
    const stateBefore = await later.getState();
    const snapBefore = await snap(q, later.id!);
    const countsBefore = await q.getJobCounts('delayed', 'waiting');
    const order: string[] = [];
    ctx.worker(ctx.name(), async (job: Job) => void order.push(job.name));
    const now = await q.add('now', { n: 2 });
    await until(async () => (await q.getCompletedCount()) === 2, 'both jobs completed');
    return { stateBefore, snapBefore, countsBefore, order, jobs: [await snap(q, later.id!), await snap(q, now.id!)] };
  });
  assert.equal(r.stateBefore, 'delayed');
  assert.deepEqual(r.countsBefore, { delayed: 1, waiting: 0 });
  assert.deepEqual(r.order, ['now', 'later']);
  assert.equal(r.snapBefore?.delay, 200);
  assert.equal(r.jobs[0]?.state, 'completed');
});

test('priorities: processing order with concurrency 1', T, async () => {
  const r = await compare('prio', async (ctx) => {
    const q = ctx.queue(ctx.name());
    const spec: [string, number | undefined][] = [
      ['p10', 10],
      ['p1a', 1],
      ['p5', 5],
      ['none', undefined],
      ['p1b', 1],
      ['p3', 3],
    ];
    for (const [name, priority] of spec) await q.add(name, {}, priority === undefined ? {} : { priority });
    const counts = await q.getJobCounts('prioritized', 'waiting');
    const order: string[] = [];
    ctx.worker(ctx.name(), async (job: Job) => void order.push(job.name), { concurrency: 1 });
    await until(async () => (await q.getCompletedCount()) === spec.length, 'all prioritized jobs completed');
    return { counts, order };
  });
  assert.deepEqual(r.counts, { prioritized: 5, waiting: 1 });
  assert.deepEqual(r.order, ['none', 'p1a', 'p1b', 'p3', 'p5', 'p10']);
});

test('LIFO', T, async () => {
  const r = await compare('lifo', async (ctx) => {
    const q = ctx.queue(ctx.name());
    await q.add('a', {});
    await q.add('b', {}, { lifo: true });
    await q.add('c', {}, { lifo: true });
    await q.add('d', {});
    const waiting = (await q.getWaiting()).map((j) => j.name);
    const order: string[] = [];
    ctx.worker(ctx.name(), async (job: Job) => void order.push(job.name), { concurrency: 1 });
    await until(async () => (await q.getCompletedCount()) === 4, 'all LIFO jobs completed');
    return { waiting, order };
  });
  assert.deepEqual(r.waiting, ['c', 'b', 'a', 'd']);
  assert.deepEqual(r.order, ['c', 'b', 'a', 'd']);
});

test('retries with fixed and exponential backoff', T, async () => {
  const r = await compare('retry', async (ctx) => {
    const q = ctx.queue(ctx.name());
    const names = await ctx.eventNames(ctx.name());
    const seen: [string, number][] = [];
    ctx.worker(ctx.name(), async (job: Job) => {
      seen.push([job.name, job.attemptsMade]);
      if (job.name === 'flaky' && job.attemptsMade < 2) throw new Error(`boom ${job.attemptsMade}`);
      if (job.name === 'doomed') throw new Error(`always ${job.attemptsMade}`);
      return 'ok';
    });
    const flaky = await q.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 60 } });
    await until(async () => (await flaky.getState()) === 'completed', 'flaky job completed');
    const doomed = await q.add('doomed', {}, { attempts: 3, backoff: { type: 'exponential', delay: 30 } });
    await until(async () => (await doomed.getState()) === 'failed', 'doomed job failed');
    const doomedJob = (await q.getJob(doomed.id!))!;
    await until(() => names.includes('retries-exhausted'), "QueueEvents' 'retries-exhausted'");
    return {
      seen,
      flaky: await snap(q, flaky.id!),
      doomed: await snap(q, doomed.id!),
      doomedStack: doomedJob.stacktrace?.length ?? null,
      counts: await q.getJobCounts('completed', 'failed', 'delayed', 'waiting'),
      names,
    };
  });
  assert.deepEqual(r.seen, [
    ['flaky', 0],
    ['flaky', 1],
    ['flaky', 2],
    ['doomed', 0],
    ['doomed', 1],
    ['doomed', 2],
  ]);
  assert.equal(r.flaky?.state, 'completed');
  assert.equal(r.flaky?.attemptsMade, 3);
  assert.equal(r.doomed?.state, 'failed');
  assert.equal(r.doomed?.attemptsMade, 3);
  assert.equal(r.doomed?.failedReason, 'always 2');
  assert.equal(r.doomedStack, 3);
  const attempt = ['active', 'delayed', 'waiting'];
  assert.deepEqual(r.names, [
    ...['added', 'waiting', ...attempt, ...attempt, 'active', 'completed'],
    ...['added', 'waiting', ...attempt, ...attempt, 'active', 'failed', 'retries-exhausted'],
  ]);
  assert.deepEqual(r.counts, { completed: 1, failed: 1, delayed: 0, waiting: 0 });
});

test('removeOnComplete / removeOnFail', T, async () => {
  const r = await compare('remove', async (ctx) => {
    const q = ctx.queue(ctx.name());
    for (let i = 0; i < 5; i++) await q.add('keep2', { i }, { removeOnComplete: 2 });
    await q.add('gone', {}, { removeOnComplete: true });
    await q.add('failgone', {}, { removeOnFail: true });
    await q.add('failkeep', {}, { removeOnFail: 1 });
    await q.add('failkeep', {}, { removeOnFail: 1 });
    ctx.worker(
      ctx.name(),
      async (job: Job) => {
        if (job.name.startsWith('fail')) throw new Error('nope');
        return job.data.i ?? null;
      },
      { concurrency: 1 },
    );
    const finished = new Set<string>();
    // Every job is finished once it is gone or completed/failed.
    await until(async () => {
      for (let id = 1; id <= 9; id++) {
        const s = await q.getJobState(String(id));
        if (s === 'completed' || s === 'failed' || s === 'unknown') finished.add(String(id));
      }
      return finished.size === 9 && (await q.getJobCounts('active', 'waiting')).active === 0;
    }, 'all 9 jobs finished');
    return {
      counts: await q.getJobCounts('completed', 'failed', 'waiting', 'active'),
      completed: (await q.getCompleted()).map((j) => j.id).sort(),
      failed: (await q.getFailed()).map((j) => j.id).sort(),
      gone: (await Promise.all(['6', '7'].map((id) => q.getJob(id)))).map((j) => j === undefined),
    };
  });
  assert.deepEqual(r.counts, { completed: 2, failed: 1, waiting: 0, active: 0 });
  assert.deepEqual(r.completed, ['4', '5']);
  assert.deepEqual(r.failed, ['9']);
  assert.deepEqual(r.gone, [true, true]);
});

test('job scheduler with every', T, async () => {
  const every = 100;
  const r = await compare('every', async (ctx) => {
    const q = ctx.queue(ctx.name());
    await q.upsertJobScheduler('tick', { every }, { name: 'tick', data: { a: 1 } });
    const seen: { id: string; name: string; data: unknown; repeatJobKey?: string }[] = [];
    const w = ctx.worker(ctx.name(), async (job: Job) => {
      if (seen.length < 3) seen.push({ id: job.id!, name: job.name, data: job.data, repeatJobKey: job.repeatJobKey });
    });
    await until(() => seen.length >= 3, 'three scheduler iterations', 15000);
    await w.close();
    const schedulers = (await q.getJobSchedulers()).map((s) => ({ key: s.key, name: s.name, every: s.every, template: s.template }));
    const removed = await q.removeJobScheduler('tick');
    const millis = seen.map((s) => Number(s.id.split(':').pop()));
    return {
      seen: seen.map((s) => ({ ...s, id: s.id.replace(/\d+$/, 'N') })),
      steps: millis.slice(1).map((m, i) => m > millis[i]! && (m - millis[i]!) % every === 0),
      schedulers,
      removed,
      after: await q.getJobSchedulers(),
      delayed: await q.getDelayedCount(),
    };
  });
  assert.deepEqual(
    r.seen.map((s) => s.id),
    ['repeat:tick:N', 'repeat:tick:N', 'repeat:tick:N'],
  );
  assert.deepEqual(r.steps, [true, true]);
  assert.equal(r.removed, true);
  assert.deepEqual(r.after, []);
  assert.equal(r.delayed, 0);
});

test('job scheduler with a cron pattern', T, async () => {
  const startDate = Date.UTC(2099, 0, 1, 12, 0, 0);
  const expectedNext = Date.UTC(2099, 0, 2, 4, 30, 0);
  const r = await compare('cron', async (ctx) => {
    const q = ctx.queue(ctx.name());
    const t0 = Date.now();
    const job = await q.upsertJobScheduler('nightly', { pattern: '0 30 4 * * *', tz: 'UTC', startDate }, { name: 'report', data: { k: 'v' } });
    const t1 = Date.now();
    const stored = (await q.getJob(job!.id!))!;
    const scheduler = await q.getJobScheduler('nightly');
    // The delay is next - now, with "now" taken somewhere during the call.
    const delayIsNextMinusNow = (d: number) => d >= expectedNext - t1 && d <= expectedNext - t0;
    const rec = {
      id: job!.id,
      returnedDelayMatches: delayIsNextMinusNow(job!.delay),
      storedDelayMatches: delayIsNextMinusNow(stored.delay),
      storedDelayEqualsReturned: stored.delay === job!.delay,
      state: await stored.getState(),
      scheduler,
      delayed: await q.getDelayedCount(),
      removed: await q.removeJobScheduler('nightly'),
      afterRemove: await q.getDelayedCount(),
    };
    return rec;
  });
  assert.equal(r.id, `repeat:nightly:${expectedNext}`);
  assert.equal(r.scheduler?.next, expectedNext);
  assert.equal(r.scheduler?.pattern, '0 30 4 * * *');
  assert.equal(r.returnedDelayMatches, true);
  assert.equal(r.storedDelayMatches, true);
  assert.equal(r.storedDelayEqualsReturned, true);
  assert.equal(r.state, 'delayed');
  assert.equal(r.delayed, 1);
  assert.equal(r.removed, true);
  assert.equal(r.afterRemove, 0);
});

test('QueueEvents: waiting, active, progress, completed, failed', T, async () => {
  const r = await compare('events', async (ctx) => {
    const q = ctx.queue(ctx.name());
    const ev = await ctx.events(ctx.name());
    const seen: unknown[] = [];
    ev.on('waiting', ({ jobId }) => seen.push(['waiting', jobId]));
    ev.on('active', ({ jobId, prev }) => seen.push(['active', jobId, prev]));
    ev.on('progress', ({ jobId, data }) => seen.push(['progress', jobId, data]));
    ev.on('completed', ({ jobId, returnvalue }) => seen.push(['completed', jobId, returnvalue]));
    ev.on('failed', ({ jobId, failedReason }) => seen.push(['failed', jobId, failedReason]));
    const names = await ctx.eventNames(ev);
    await q.add('good', { v: 1 });
    await q.add('bad', { v: 2 });
    ctx.worker(
      ctx.name(),
      async (job: Job) => {
        if (job.name === 'bad') throw new Error('bad job');
        await job.updateProgress(50);
        await job.updateProgress({ step: 'done' });
        return { ok: job.data.v };
      },
      { concurrency: 1 },
    );
    await until(() => seen.some((s) => (s as string[])[0] === 'failed') && seen.some((s) => (s as string[])[0] === 'completed'), 'completed and failed events');
    await until(() => names.includes('retries-exhausted'), "the 'retries-exhausted' event");
    return { seen, names };
  });
  assert.deepEqual(r.seen, [
    ['waiting', '1'],
    ['waiting', '2'],
    ['active', '1', 'waiting'],
    ['progress', '1', 50],
    ['progress', '1', { step: 'done' }],
    ['completed', '1', { ok: 1 }],
    ['active', '2', 'waiting'],
    ['failed', '2', 'bad job'],
  ]);
  assert.deepEqual(
    r.names,
    ['added', 'waiting', 'added', 'waiting', 'active', 'progress', 'progress', 'completed', 'active', 'failed', 'retries-exhausted'],
  );
});

test('flow: parent waits for its children, then completes', T, async () => {
  const r = await compare('flow', async (ctx) => {
    const parentQ = ctx.queue(ctx.name('parent'));
    const childQ = ctx.queue(ctx.name('child'));
    const names = await ctx.eventNames(ctx.name('parent'));
    const tree = await ctx.flow().add({
      name: 'sum',
      queueName: ctx.name('parent'),
      data: {},
      children: [
        { name: 'c1', queueName: ctx.name('child'), data: { v: 1 } },
        { name: 'c2', queueName: ctx.name('child'), data: { v: 2 } },
        { name: 'c3', queueName: ctx.name('child'), data: { v: 3 } },
      ],
    });
    const parentId = tree.job.id!;
    const parentBefore = await parentQ.getJobState(parentId);
    const depsBefore = await (await parentQ.getJob(parentId))!.getDependenciesCount();
    ctx.worker(ctx.name('parent'), async (job: Job) => {
      const values = await job.getChildrenValues();
      return Object.values(values as Record<string, number>).reduce((a, b) => a + b, 0);
    });
    // Children only start now, so the parent really had to wait.
    ctx.worker(ctx.name('child'), async (job: Job) => job.data.v * 10, { concurrency: 1 });
    await until(async () => (await parentQ.getJobState(parentId)) === 'completed', 'parent completed');
    await until(() => names.includes('completed'), "the parent queue's 'completed' event");
    const parent = (await parentQ.getJob(parentId))!;
    const childValues = await parent.getChildrenValues();
    // Flow job ids are UUIDs: name them after their jobs.
    const label = new Map<string, string>([[parentId, 'PARENT'], ...tree.children!.map((c) => [c.job.id!, c.job.name] as [string, string])]);
    const norm = (k: string) => {
      let out = k.replace(ctx.name('child'), 'CHILDQ');
      for (const [id, l] of label) out = out.replace(id, l);
      return out;
    };
    const snapN = async (q: Queue, id: string) => {
      const s = await snap(q, id);
      return s && { ...s, id: norm(s.id!) };
    };
    return {
      parentBefore,
      depsBefore,
      parent: await snapN(parentQ, parentId),
      childValues: Object.fromEntries(Object.entries(childValues).map(([k, v]) => [norm(k), v])),
      children: await Promise.all(tree.children!.map((c) => snapN(childQ, c.job.id!))),
      depsAfter: await parent.getDependenciesCount(),
      names,
    };
  });
  assert.equal(r.parentBefore, 'waiting-children');
  assert.deepEqual(r.depsBefore, { processed: 0, unprocessed: 3, ignored: 0, failed: 0 });
  assert.equal(r.parent?.returnvalue, 60);
  assert.deepEqual(r.childValues, { 'bull:CHILDQ:c1': 10, 'bull:CHILDQ:c2': 20, 'bull:CHILDQ:c3': 30 });
  assert.deepEqual(r.depsAfter, { processed: 3, unprocessed: 0, ignored: 0, failed: 0 });
  assert.deepEqual(r.names, ['added', 'waiting-children', 'waiting', 'active', 'completed']);
});

test('rate limiter bounds the jobs processed in a window', T, async () => {
  const r = await compare('limiter', async (ctx) => {
    const q = ctx.queue(ctx.name());
    for (let i = 0; i < 4; i++) await q.add('j', { i });
    let processed = 0;
    ctx.worker(ctx.name(), async () => void processed++, { concurrency: 1, limiter: { max: 2, duration: 2500 } });
    await until(() => processed >= 2, 'the first two jobs');
    await sleep(400);
    const inFirstWindow = processed;
    const ttlPositive = (await q.getRateLimitTtl()) > 0;
    await until(async () => (await q.getCompletedCount()) === 4, 'all four jobs after the window', 15000);
    return { inFirstWindow, ttlPositive, counts: await q.getJobCounts('completed', 'waiting', 'delayed') };
  });
  assert.equal(r.inFirstWindow, 2);
  assert.equal(r.ttlPositive, true);
  assert.deepEqual(r.counts, { completed: 4, waiting: 0, delayed: 0 });
});

const childWorkerSource = `
import { Worker } from 'bullmq';
const [name, port] = process.argv.slice(1);
const w = new Worker(name, async (job) => {
  process.stdout.write('active ' + job.id + '\\n');
  await new Promise(() => {});
}, { connection: { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null }, lockDuration: 800, stalledInterval: 400 });
w.on('error', () => {});
`;

test('a worker killed with SIGKILL mid-job: the job stalls and another worker completes it', T, async () => {
  const r = await compare('stalled', async (ctx) => {
    const q = ctx.queue(ctx.name());
    const names = await ctx.eventNames(ctx.name());
    const job = await q.add('survivor', { v: 7 });
    const child = ctx.spawned(
      spawn(process.execPath, ['--input-type=module', '-e', childWorkerSource, ctx.name(), String(ctx.port)], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)), // where 'bullmq' resolves
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await until(() => out.includes(`active ${job.id}`), 'the child worker to start the job', 15000);
    const activeState = await job.getState();
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGKILL');
    await exited;
    const stalled: string[] = [];
    const w = ctx.worker(ctx.name(), async (j: Job) => ({ rescued: j.data.v, attemptsMadeSeen: j.attemptsMade }), {
      lockDuration: 800,
      stalledInterval: 300,
      maxStalledCount: 1,
    });
    w.on('stalled', (id) => stalled.push(id));
    await until(async () => (await job.getState()) === 'completed', 'the rescued job to complete', 15000);
    await until(() => names.includes('completed'), "QueueEvents' 'completed'");
    return { activeState, stalled, job: await snap(q, job.id!), names };
  });
  assert.equal(r.activeState, 'active');
  assert.deepEqual(r.stalled, ['1']);
  assert.equal(r.job?.state, 'completed');
  assert.equal(r.job?.stalledCounter, 1);
  assert.equal(r.job?.attemptsStarted, 2);
  assert.equal(r.job?.attemptsMade, 1);
  assert.ok(r.names.includes('stalled'), r.names.join());
  assert.deepEqual(r.job?.returnvalue, { rescued: 7, attemptsMadeSeen: 0 });
});

test('pause and resume', T, async () => {
  const r = await compare('pause', async (ctx) => {
    const q = ctx.queue(ctx.name());
    await q.pause();
    await q.add('a', {});
    await q.add('b', {});
    const done: string[] = [];
    ctx.worker(ctx.name(), async (job: Job) => void done.push(job.name), { concurrency: 1 });
    await sleep(300);
    const whilePaused = { isPaused: await q.isPaused(), done: [...done], counts: await q.getJobCounts('waiting', 'active', 'completed'), state: await q.getJobState('1') };
    await q.resume();
    await until(async () => (await q.getCompletedCount()) === 2, 'both jobs after resume');
    return { whilePaused, isPaused: await q.isPaused(), done, counts: await q.getJobCounts('waiting', 'active', 'completed') };
  });
  assert.equal(r.whilePaused.isPaused, true);
  assert.deepEqual(r.whilePaused.done, []);
  assert.equal(r.whilePaused.counts.completed, 0);
  assert.deepEqual(r.whilePaused.counts, { waiting: 2, active: 0, completed: 0 });
  assert.equal(r.whilePaused.state, 'waiting');
  assert.equal(r.isPaused, false);
  assert.deepEqual(r.done, ['a', 'b']);
  assert.equal(r.counts.completed, 2);
});

test('drain, clean, obliterate', T, async () => {
  const r = await compare('drain', async (ctx) => {
    const q = ctx.queue(ctx.name());
    for (let i = 0; i < 3; i++) await q.add('w', { i });
    await q.add('p', {}, { priority: 2 });
    for (let i = 0; i < 2; i++) await q.add('d', { i }, { delay: 60000 });
    const before = await q.getJobCounts('waiting', 'prioritized', 'delayed');
    await q.drain();
    const afterDrain = await q.getJobCounts('waiting', 'prioritized', 'delayed');
    await q.drain(true);
    const afterDrainDelayed = await q.getJobCounts('waiting', 'prioritized', 'delayed');

    // clean: completed and failed jobs older than the grace period.
    for (let i = 0; i < 3; i++) await q.add('ok', { i });
    await q.add('ko', {});
    const w = ctx.worker(
      ctx.name(),
      async (job: Job) => {
        if (job.name === 'ko') throw new Error('ko');
      },
      { concurrency: 1 },
    );
    await until(async () => (await q.getJobCounts('completed', 'failed')).completed === 3 && (await q.getFailedCount()) === 1, 'jobs to finish before clean');
    await w.close();
    const cleanedLimited = (await q.clean(0, 2, 'completed')).length;
    const cleanedRest = (await q.clean(0, 100, 'completed')).sort();
    const cleanedFailed = await q.clean(0, 100, 'failed');
    const afterClean = await q.getJobCounts('completed', 'failed');

    // obliterate: every key of the queue goes.
    await q.add('x', {});
    await q.add('y', {}, { delay: 60000 });
    const client = new Redis({ ...ctx.connection, lazyConnect: true });
    await client.connect();
    ctx.onClose(() => client.quit());
    const keysBefore = (await client.keys(`bull:${ctx.name()}:*`)).length > 0;
    await q.obliterate();
    const keysAfter = await client.keys(`bull:${ctx.name()}:*`);
    return { before, afterDrain, afterDrainDelayed, cleanedLimited, cleanedRest: cleanedRest.length, cleanedFailed, afterClean, keysBefore, keysAfter };
  });
  assert.deepEqual(r.before, { waiting: 3, prioritized: 1, delayed: 2 });
  assert.deepEqual(r.afterDrain, { waiting: 0, prioritized: 0, delayed: 2 });
  assert.deepEqual(r.afterDrainDelayed, { waiting: 0, prioritized: 0, delayed: 0 });
  assert.equal(r.cleanedLimited, 2);
  assert.equal(r.cleanedRest, 1);
  assert.equal(r.cleanedFailed.length, 1);
  assert.deepEqual(r.afterClean, { completed: 0, failed: 0 });
  assert.equal(r.keysBefore, true);
  assert.deepEqual(r.keysAfter, []);
});

test('getters: counts, ranges, states, logs, progress', T, async () => {
  const r = await compare('getters', async (ctx) => {
    const q = ctx.queue(ctx.name());
    for (let i = 0; i < 5; i++) await q.add(`w${i}`, { i });
    await q.add('later', {}, { delay: 60000 });
    await q.add('prio', {}, { priority: 3 });
    const countsBefore = await q.getJobCounts();
    const waitAsc = (await q.getJobs(['waiting'], 0, 2, true)).map((j) => j.id);
    const waitDesc = (await q.getJobs(['waiting'], 0, 2, false)).map((j) => j.id);
    const waitAll = (await q.getWaiting(0, -1)).map((j) => j.id);
    const mixed = (await q.getJobs(['delayed', 'prioritized'])).map((j) => j.id).sort();
    const states = await Promise.all(['1', '6', '7', '99'].map((id) => q.getJobState(id)));
    await q.addJobLog('1', 'from the queue');

    const w = ctx.worker(
      ctx.name(),
      async (job: Job) => {
        await job.log(`start ${job.name}`);
        await job.updateProgress({ pct: 50, name: job.name });
        await job.log(`end ${job.name}`);
        return job.data.i ?? -1;
      },
      { concurrency: 1 },
    );
    await until(async () => (await q.getCompletedCount()) === 6, '6 completed jobs');
    await w.close();
    const logs1 = await q.getJobLogs('1');
    const logs1Desc = await q.getJobLogs('1', 0, 1, false);
    const completedAsc = (await q.getJobs(['completed'], 0, -1, true)).map((j) => j.id);
    const completed0to1 = (await q.getCompleted(0, 1)).length;
    const j3 = (await q.getJob('3'))!;
    await q.updateJobProgress('6', 42);
    return {
      countsBefore,
      waitAsc,
      waitDesc,
      waitAll,
      mixed,
      states,
      logs1,
      logs1Desc,
      completedAsc: completedAsc.length,
      completed0to1,
      j3: { progress: j3.progress, returnvalue: j3.returnvalue, state: await j3.getState() },
      j6: await snap(q, '6'),
      countsAfter: await q.getJobCounts('completed', 'delayed', 'waiting', 'prioritized', 'active', 'failed'),
    };
  });
  assert.equal(r.countsBefore.waiting, 5);
  assert.equal(r.countsBefore.delayed, 1);
  assert.equal(r.countsBefore.prioritized, 1);
  assert.deepEqual(r.waitAll, ['1', '2', '3', '4', '5']);
  assert.deepEqual(r.waitAsc, ['1', '2', '3']);
  assert.deepEqual(r.waitDesc, ['5', '4', '3']);
  assert.deepEqual(r.mixed, ['6', '7']);
  assert.deepEqual(r.states, ['waiting', 'delayed', 'prioritized', 'unknown']);
  assert.deepEqual(r.logs1, { logs: ['from the queue', 'start w0', 'end w0'], count: 3 });
  assert.equal(r.completedAsc, 6);
  assert.equal(r.completed0to1, 2);
  assert.deepEqual(r.j3, { progress: { pct: 50, name: 'w2' }, returnvalue: 2, state: 'completed' });
  assert.equal(r.j6?.progress, 42);
  assert.equal(r.j6?.state, 'delayed');
  assert.deepEqual(r.countsAfter, { completed: 6, delayed: 1, waiting: 0, prioritized: 0, active: 0, failed: 0 });
});

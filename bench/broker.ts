// `npm run bench:broker`: the embedded broker next to Debian's redis-server, measured in one
// run on this machine with the same client code. Not a test: timings on a shared machine are
// noisy, so they are reported, never asserted.
//
// Both servers are separate processes, so client and server never share an event loop: the
// broker runs as sandboxes run it (`node --no-addons broker/cli.ts --port N`, a Node process of
// its own), redis-server as `/usr/bin/redis-server --save "" --appendonly no`. The clients
// (BullMQ 6, ioredis) run in this process, against one server at a time.
//
//   (a) BullMQ: addBulk N jobs in chunks, then one Worker (concurrency 10, trivial processor)
//       processes them all; jobs/s for each phase.
//   (b) ioredis pipelines of SET / GET / LPUSH / ZADD; ops/s per command.
//   (c) memory held by 100,000 waiting jobs. redis-server: INFO memory used_memory delta (and
//       the process's VmRSS delta). Broker: VmRSS delta from /proc/<pid>/status and V8's
//       heapUsed + external delta, each read after a full GC triggered through the inspector
//       (the broker for this part is started with --inspect=127.0.0.1:0 for that).
//
// Parts (a) and (b) share one fresh server of each kind, with FLUSHALL between them; part (c)
// starts both afresh, since an RSS delta means little in a heap that earlier parts already grew.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { freePort } from '../test/broker/harness.ts';
import { positiveInt } from './args.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20000' },
    chunk: { type: 'string', default: '1000' },
    ops: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    'mem-jobs': { type: 'string', default: '100000' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/broker.ts [--jobs 20000] [--chunk 1000] [--ops 200000] [--batch 1000] [--mem-jobs 100000]');
  process.exit(0);
}
const JOBS = positiveInt('jobs', values.jobs);
const CHUNK = positiveInt('chunk', values.chunk);
const OPS = positiveInt('ops', values.ops);
const BATCH = positiveInt('batch', values.batch);
const MEM_JOBS = positiveInt('mem-jobs', values['mem-jobs']);

const REDIS_SERVER = '/usr/bin/redis-server';
const BROKER_CLI = fileURLToPath(new URL('../broker/cli.ts', import.meta.url));
const GOALS = { a: 0.5, b: 0.25 };

// ---------------------------------------------------------------------------
// Servers

interface ServerProc {
  kind: 'redis-server' | 'broker';
  port: number;
  proc: ChildProcess;
  /** Inspector WebSocket URL (broker started with inspect only). */
  inspectUrl?: string;
  stop(): Promise<void>;
}


async function waitFor(what: string, ok: () => boolean, proc: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what}: process exited (${proc.exitCode ?? proc.signalCode})`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(500);
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString() === '+PONG\r\n');
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function startRedis(): Promise<ServerProc> {
  const port = await freePort();
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let up = false;
  const end = Date.now() + 10_000;
  while (!up) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error('could not start redis-server');
    up = await ping(port);
    if (!up) await new Promise((r) => setTimeout(r, 30));
  }
  return { kind: 'redis-server', port, proc, stop: stopper(proc) };
}

async function startBroker(inspect = false): Promise<ServerProc> {
  const port = await freePort();
  const args = ['--no-addons', '--disable-warning=ExperimentalWarning'];
  if (inspect) args.push('--inspect=127.0.0.1:0');
  args.push(BROKER_CLI, '--port', String(port));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => {
    stderr += d;
    // Pass the broker's own complaints through; the inspector's banner is ours to read.
    for (const line of String(d).split('\n')) if (line.trim() && !/Debugger|inspector|For help, see/i.test(line)) process.stderr.write(`[broker] ${line}\n`);
  });
  await waitFor('the broker start line', () => stdout.includes('listening on'), proc);
  let inspectUrl: string | undefined;
  if (inspect) {
    await waitFor('the inspector URL', () => /ws:\/\/\S+/.test(stderr), proc);
    inspectUrl = /ws:\/\/\S+/.exec(stderr)![0];
  }
  return { kind: 'broker', port, proc, inspectUrl, stop: stopper(proc) };
}

// ---------------------------------------------------------------------------
// Measurements

const rate = (n: number, ms: number) => (n * 1000) / ms;
const fmtRate = (r: number) => Math.round(r).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function client(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null, lazyConnect: false });
}

async function flushAll(port: number): Promise<void> {
  const c = client(port);
  await c.flushall();
  await c.quit();
}

/** (a) BullMQ addBulk then one Worker at concurrency 10. */
async function bullmq(port: number, jobs: number): Promise<{ add: number; process: number }> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const name = 'bench-a';
  const queue = new Queue(name, { connection });
  await queue.waitUntilReady();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += CHUNK) {
    const n = Math.min(CHUNK, jobs - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'job', data: { i: i + k } })));
  }
  const addMs = performance.now() - t0;
  const waiting = await queue.getWaitingCount();
  if (waiting !== jobs) throw new Error(`expected ${jobs} waiting jobs, found ${waiting}`);

  let done = 0;
  let failed = 0;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  const t1 = performance.now();
  const worker = new Worker(name, async () => {}, { connection, concurrency: 10 });
  worker.on('completed', () => {
    if (++done + failed === jobs) finish();
  });
  worker.on('failed', () => {
    if (done + ++failed === jobs) finish();
  });
  worker.on('error', (e) => console.error(`worker error: ${e.message}`));
  await allDone;
  const processMs = performance.now() - t1;
  await worker.close();
  await queue.close();
  if (failed) throw new Error(`${failed} jobs failed`);
  return { add: rate(jobs, addMs), process: rate(jobs, processMs) };
}

const KINDS = ['SET', 'GET', 'LPUSH', 'ZADD'] as const;
type Kind = (typeof KINDS)[number];

/** (b) Pipelined commands of one kind, BATCH at a time, OPS in all. */
async function pipelined(port: number): Promise<Record<Kind, number>> {
  const c = client(port);
  const value = 'v'.repeat(16);
  const out = {} as Record<Kind, number>;
  for (const kind of KINDS) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i += BATCH) {
      const p = c.pipeline();
      const n = Math.min(BATCH, OPS - i);
      for (let k = i; k < i + n; k++) {
        if (kind === 'SET') p.set(`key:${k}`, value);
        else if (kind === 'GET') p.get(`key:${k}`);
        else if (kind === 'LPUSH') p.lpush('list', value);
        else p.zadd('zset', k, `member:${k}`);
      }
      const res = await p.exec();
      const bad = res?.find(([e]) => e);
      if (bad) throw new Error(`${kind} failed: ${bad[0]!.message}`);
    }
    out[kind] = rate(OPS, performance.now() - t0);
  }
  await c.quit();
  return out;
}

function vmRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** A tiny Chrome DevTools Protocol client for the broker's inspector. */
async function inspector(url: string) {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<any>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    async gc() {
      await send('HeapProfiler.collectGarbage');
      await send('HeapProfiler.collectGarbage');
    },
    async memoryUsage(): Promise<NodeJS.MemoryUsage> {
      const r = await send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
      return JSON.parse(r.result.value as string) as NodeJS.MemoryUsage;
    },
    close: () => ws.close(),
  };
}

async function addWaiting(port: number, jobs: number): Promise<number> {
  const queue = new Queue('bench-c', { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null } });
  await queue.waitUntilReady();
  for (let i = 0; i < jobs; i += CHUNK) {
    const n = Math.min(CHUNK, jobs - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'job', data: { i: i + k } })));
  }
  const waiting = await queue.getWaitingCount();
  await queue.close();
  return waiting;
}

async function infoMemory(port: number): Promise<{ used: number; rss: number }> {
  const c = client(port);
  const info = await c.info('memory');
  await c.quit();
  const field = (f: string) => Number(new RegExp(`^${f}:(\\d+)`, 'm').exec(info)![1]);
  return { used: field('used_memory'), rss: field('used_memory_rss') };
}

// ---------------------------------------------------------------------------
// Report

const ratio = (b: number, r: number) => b / r;
function line(label: string, unit: string, r: number, b: number, goal?: number): void {
  const q = ratio(b, r);
  const g = goal === undefined ? '' : `   goal ≥ ${(goal * 100).toFixed(0)} % → ${q >= goal ? 'met' : 'NOT met'}`;
  console.log(`  ${label.padEnd(18)} redis-server ${fmtRate(r).padStart(9)} ${unit}   broker ${fmtRate(b).padStart(9)} ${unit}   broker/redis ${(q * 100).toFixed(1).padStart(5)} %${g}`);
}

const started = performance.now();
const procs: ServerProc[] = [];
let exitCode = 0;
try {
  console.log(`Embedded broker vs ${REDIS_SERVER} (${(readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length} CPUs, Node ${process.version})`);
  console.log('Both servers run as separate processes, one at a time; the clients (bullmq 6, ioredis 5) run in this process.');
  console.log('  broker: `node --no-addons broker/cli.ts --port N`, its own Node process, as sandboxes run it (client and server do not share an event loop)');
  console.log('  redis-server: `/usr/bin/redis-server --port N --save "" --appendonly no`');

  const redis = await startRedis();
  procs.push(redis);
  const broker = await startBroker();
  procs.push(broker);

  // Warm up this process's client code (ioredis, bullmq) untimed, so neither server is
  // measured against a cold client.
  await bullmq(redis.port, Math.min(JOBS, 1000));
  await flushAll(redis.port);

  // (a)
  console.log(`\n(a) BullMQ: addBulk ${JOBS.toLocaleString('en-US')} jobs in chunks of ${CHUNK}, then one Worker, concurrency 10, trivial processor`);
  const aR = await bullmq(redis.port, JOBS);
  const aB = await bullmq(broker.port, JOBS);
  line('add', 'jobs/s', aR.add, aB.add, GOALS.a);
  line('process', 'jobs/s', aR.process, aB.process, GOALS.a);
  await flushAll(redis.port);
  await flushAll(broker.port);

  // (b)
  console.log(`\n(b) ioredis pipelines: ${OPS.toLocaleString('en-US')} commands per kind in batches of ${BATCH}`);
  const bR = await pipelined(redis.port);
  const bB = await pipelined(broker.port);
  for (const k of KINDS) line(k, 'ops/s', bR[k], bB[k], GOALS.b);
  await flushAll(redis.port);
  await flushAll(broker.port);
  await redis.stop();
  await broker.stop();

  // (c)
  console.log(`\n(c) memory for ${MEM_JOBS.toLocaleString('en-US')} waiting BullMQ jobs (data {i}), fresh servers`);
  const redis2 = await startRedis();
  procs.push(redis2);
  await flushAll(redis2.port);
  const r0 = await infoMemory(redis2.port);
  const rss0 = vmRss(redis2.proc.pid!);
  const nR = await addWaiting(redis2.port, MEM_JOBS);
  const r1 = await infoMemory(redis2.port);
  const rss1 = vmRss(redis2.proc.pid!);
  await redis2.stop();

  const broker2 = await startBroker(true);
  procs.push(broker2);
  await flushAll(broker2.port);
  const insp = await inspector(broker2.inspectUrl!);
  await insp.gc();
  const b0 = await insp.memoryUsage();
  const brss0 = vmRss(broker2.proc.pid!);
  const nB = await addWaiting(broker2.port, MEM_JOBS);
  await insp.gc();
  const b1 = await insp.memoryUsage();
  const brss1 = vmRss(broker2.proc.pid!);
  const bInfo = await infoMemory(broker2.port);
  insp.close();
  await flushAll(broker2.port);
  await broker2.stop();
  if (nR !== MEM_JOBS || nB !== MEM_JOBS) throw new Error(`waiting counts: redis ${nR}, broker ${nB}`);

  const perJob = (bytes: number) => `${Math.round(bytes / MEM_JOBS)} B/job`;
  const redisUsed = r1.used - r0.used;
  const redisRss = rss1 - rss0;
  const brokerHeap = b1.heapUsed + b1.external - (b0.heapUsed + b0.external);
  const brokerRss = brss1 - brss0;
  console.log(`  redis-server  used_memory delta (INFO memory, allocator bytes for the data): ${mb(redisUsed)} (${perJob(redisUsed)})`);
  console.log(`  redis-server  VmRSS delta (/proc/<pid>/status):                            ${mb(redisRss)} (${perJob(redisRss)})`);
  console.log(`  broker        V8 heapUsed+external delta after full GC (via inspector):   ${mb(brokerHeap)} (${perJob(brokerHeap)}; heapUsed ${mb(b1.heapUsed - b0.heapUsed)}, external ${mb(b1.external - b0.external)})`);
  console.log(`  broker        VmRSS delta after full GC (/proc/<pid>/status):             ${mb(brokerRss)} (${perJob(brokerRss)}; RSS ${mb(brss0)} → ${mb(brss1)})`);
  console.log(`  broker        its own INFO used_memory estimate after:                    ${mb(bInfo.used)}`);
  console.log(`  broker/redis: heap delta / used_memory delta ${(brokerHeap / redisUsed).toFixed(2)}×, VmRSS delta / VmRSS delta ${(brokerRss / redisRss).toFixed(2)}× (no goal set)`);

  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await Promise.all(procs.map((p) => p.stop()));
}
process.exit(exitCode);

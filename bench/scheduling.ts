// `npm run bench:scheduling`: BullMQ job schedulers on the embedded broker next to Debian's
// redis-server, in one run on this machine with the same client code. Not a test: timings on
// a shared machine are noisy, so they are reported, never asserted.
//
//   (a) Precision: --schedulers job schedulers firing every second (half `every: 1000`, half
//       the cron pattern "* * * * * *"), run for --seconds by one Worker; for each firing,
//       actual minus scheduled start (the worker's clock when the processor starts, minus the
//       due instant in the job's id). p50 / p99 / worst per broker, and the ratio.
//   (b) Upserting --upserts schedulers (a weekly cron pattern in a zone, as the boss's report),
//       100 at a time: time taken, and the broker's memory after minus before: INFO used_memory
//       and the process's VmRSS from /proc.
//
// Both servers are separate processes, started as bench/broker.ts starts them; the clients
// (BullMQ 6, ioredis) run in this process, against one server at a time.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { freePort } from '../test/broker/harness.ts';
import { positiveInt } from './args.ts';

const { values } = parseArgs({
  options: {
    schedulers: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '15' },
    upserts: { type: 'string', default: '10000' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/scheduling.ts [--schedulers 20] [--seconds 15] [--upserts 10000]');
  process.exit(0);
}
const SCHEDULERS = positiveInt('schedulers', values.schedulers);
const SECONDS = positiveInt('seconds', values.seconds);
const UPSERTS = positiveInt('upserts', values.upserts);

const REDIS_SERVER = '/usr/bin/redis-server';
const BROKER_CLI = fileURLToPath(new URL('../broker/cli.ts', import.meta.url));

interface Server {
  kind: 'embedded broker' | 'redis-server';
  port: number;
  proc: ChildProcess;
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(500);
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => (s.destroy(), resolve(d.toString() === '+PONG\r\n')));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function start(kind: Server['kind']): Promise<Server> {
  const port = await freePort();
  const proc =
    kind === 'redis-server'
      ? spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawn(process.execPath, ['--no-addons', '--disable-warning=ExperimentalWarning', BROKER_CLI, '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const end = Date.now() + 15_000;
  while (!(await ping(port))) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`could not start the ${kind}`);
    await new Promise((r) => setTimeout(r, 30));
  }
  return { kind, port, proc };
}

async function stop(server: Server) {
  const { proc } = server;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
  proc.kill('SIGTERM');
  await exited;
  clearTimeout(t);
}

const connectionFor = (port: number) => ({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** (a) Firings of SCHEDULERS one-second schedulers over SECONDS: lateness in ms, sorted. */
async function precision(server: Server): Promise<number[]> {
  const connection = connectionFor(server.port);
  const queue = new Queue('bench-precision', { connection });
  await queue.waitUntilReady();
  const late: number[] = [];
  const worker = new Worker(
    'bench-precision',
    async (job) => {
      const due = Number(String(job.id).split(':').pop());
      late.push(Date.now() - due);
    },
    { connection, concurrency: SCHEDULERS * 2 },
  );
  worker.on('error', (e) => console.error(`worker error (${server.kind}): ${e.message}`));
  await worker.waitUntilReady();
  for (let i = 0; i < SCHEDULERS; i++) {
    const repeat = i % 2 ? { pattern: '* * * * * *' } : { every: 1000 };
    await queue.upsertJobScheduler(`tick-${i}`, repeat, { name: 'tick' });
  }
  // The first firing of an `every` scheduler is immediate and the first of a pattern may be
  // anything up to a second away: let a second go by, then measure.
  await new Promise((r) => setTimeout(r, 1500));
  late.length = 0;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const measured = [...late].sort((a, b) => a - b);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return measured;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}
async function usedMemory(port: number): Promise<number> {
  const c = new Redis(connectionFor(port));
  const info = await c.info('memory');
  await c.quit();
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** (b) UPSERTS weekly schedulers, 100 at a time: seconds, and memory deltas. */
async function upserts(server: Server) {
  const connection = connectionFor(server.port);
  const queue = new Queue('bench-upsert', { connection });
  await queue.waitUntilReady();
  const usedBefore = await usedMemory(server.port);
  const rssBefore = rssOf(server.proc.pid!);
  const t0 = performance.now();
  for (let i = 0; i < UPSERTS; i += 100) {
    const batch = [];
    for (let k = i; k < Math.min(UPSERTS, i + 100); k++)
      batch.push(queue.upsertJobScheduler(`report-${k}`, { pattern: '0 9 * * 1', tz: 'Asia/Shanghai' }, { name: 'boss-report', data: { team: k } }));
    await Promise.all(batch);
  }
  const ms = performance.now() - t0;
  const count = await queue.getJobSchedulersCount();
  if (count !== UPSERTS) throw new Error(`${server.kind}: expected ${UPSERTS} schedulers, found ${count}`);
  const used = (await usedMemory(server.port)) - usedBefore;
  const rss = rssOf(server.proc.pid!) - rssBefore;
  await queue.close();
  return { ms, used, rss };
}

const kinds: Server['kind'][] = ['embedded broker', 'redis-server'];
const results = new Map<Server['kind'], { late: number[]; up: Awaited<ReturnType<typeof upserts>> }>();
console.log(`BullMQ job schedulers: ${SCHEDULERS} schedulers firing every second for ${SECONDS} s, then ${UPSERTS.toLocaleString('en-US')} upserts`);
for (const kind of kinds) {
  const server = await start(kind);
  try {
    const late = await precision(server);
    const up = await upserts(server);
    results.set(kind, { late, up });
    console.log(
      `  ${kind.padEnd(15)} ${late.length} firings, started after due: p50 ${pct(late, 50)} ms, p99 ${pct(late, 99)} ms, worst ${late.at(-1)} ms; ` +
        `${UPSERTS.toLocaleString('en-US')} upserts in ${(up.ms / 1000).toFixed(2)} s (${Math.round((UPSERTS * 1000) / up.ms).toLocaleString('en-US')}/s), ` +
        `used_memory +${(up.used / 1024 / 1024).toFixed(1)} MB (${Math.round(up.used / UPSERTS)} B each), RSS +${(up.rss / 1024 / 1024).toFixed(1)} MB`,
    );
  } finally {
    await stop(server);
  }
}
const e = results.get('embedded broker')!, r = results.get('redis-server')!;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : `${a} vs ${b}`);
console.log('embedded broker / redis-server:');
console.log(`  lateness p50 ${ratio(pct(e.late, 50), pct(r.late, 50))}, p99 ${ratio(pct(e.late, 99), pct(r.late, 99))}`);
console.log(`  upsert time ${ratio(e.up.ms, r.up.ms)}, used_memory ${ratio(e.up.used, r.up.used)}, RSS ${ratio(e.up.rss, r.up.rss)}`);
process.exit(0);

// `npm run bench:broker-robustness`: the embedded broker and Debian's redis-server under the
// same hostile load, one after the other, each in a process of its own (the broker as
// sandboxes run it: `node --no-addons broker/cli.ts`). Not a test: timings on a shared machine
// are noisy, so they are reported side by side, never asserted.
//
// For each server, in three phases (before, during, after the load):
//   * the latency of a PING sent by a well-behaved client every 5 ms, one at a time (p50, p99);
//   * the server process's resident memory (VmRSS from /proc; the peak during the load).
// The load (subscribers dropped: PUBSUB NUMSUB at the end of it):
//   * --idle connections that never send anything, and as many that sent half a command;
//   * --pipelines clients, each writing --pipeline commands (SET) in one go, again and again;
//   * --subscribers subscribers that stop reading while a publisher sends --messages 1 KiB
//     messages (client-output-buffer-limit pubsub drops them past 32 MB, on both servers). The
//     same amount goes to both servers, and the load lasts until the server has answered every
//     PUBLISH (at least --seconds), so a slower server is not spared the bytes: the bench prints
//     how many bytes each server published to each subscriber (PUBLISH replies × frame size).
// For the broker it also asks the process (through bench/broker-heap-probe.ts, over IPC, after a
// full GC) for its V8 heap and its off-heap Buffers, before and after the load: RSS may stay
// high after a load (V8 and malloc keep pages), retained objects should not.
// --only broker|redis-server runs one; --cpu-prof DIR writes the broker's CPU profile there;
// --baseline-broker PATH/broker/cli.ts also runs that copy of the broker (e.g. an older commit's,
// `git archive main broker | tar -x -C .baseline`), in the same run, for before/after figures.
// --memory-variants also runs the broker with glibc malloc and V8 settings meant to give memory
// back after the load (MEMORY_VARIANTS), each in its own process, side by side.
// --phase idle|pipelines|subscribers runs one part of the load alone (default: all at once), to
// see which part leaves what behind. --settle S also measures RSS S seconds after the load
// (default 30; 0 skips it): V8's memory reducer shrinks the young generation only after the
// process has been quiet for a while, later than the 'after' phase's 3 seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/broker/harness.ts';
import { positiveInt } from './args.ts';

const { values } = parseArgs({
  options: {
    idle: { type: 'string', default: '1000' },
    pipelines: { type: 'string', default: '2' },
    pipeline: { type: 'string', default: '100000' },
    subscribers: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    messages: { type: 'string', default: '65536' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'baseline-broker': { type: 'string' },
    'memory-variants': { type: 'boolean', default: false },
    phase: { type: 'string', default: 'all' },
    settle: { type: 'string', default: '30' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/broker-robustness.ts [--idle 1000 (and as many half-sent)] [--pipelines 2] [--pipeline 100000] [--subscribers 20] [--seconds 10] [--messages 65536] [--only broker|redis-server] [--cpu-prof DIR] [--baseline-broker PATH/broker/cli.ts] [--memory-variants] [--phase all|idle|pipelines|subscribers] [--settle 30]');
  process.exit(0);
}
const IDLE = positiveInt('idle', values.idle);
const PIPELINES = positiveInt('pipelines', values.pipelines);
const PIPELINE = positiveInt('pipeline', values.pipeline);
const SUBSCRIBERS = positiveInt('subscribers', values.subscribers);
const SECONDS = positiveInt('seconds', values.seconds);
const MESSAGES = positiveInt('messages', values.messages);
const PHASES = ['all', 'idle', 'pipelines', 'subscribers'] as const;
const PHASE = values.phase as (typeof PHASES)[number];
if (!PHASES.includes(PHASE)) {
  console.error(`invalid --phase: ${values.phase} (${PHASES.join(', ')})`);
  process.exit(2);
}
const loads = (part: Exclude<typeof PHASE, 'all'>) => PHASE === 'all' || PHASE === part;
const SETTLE = values.settle === '0' ? 0 : positiveInt('settle', values.settle);
/**
 * The broker's process with settings that may return memory after a load: glibc keeps freed
 * Buffer memory in its arenas (one per thread that allocated, up to 8 × cores) and raises its
 * mmap/trim thresholds as big blocks are freed (up to 32 MB), so that memory stays resident.
 */
const MEMORY_VARIANTS: Record<string, { env?: Record<string, string>; flags?: string[] }> = {
  'broker MALLOC_ARENA_MAX=1': { env: { MALLOC_ARENA_MAX: '1' } },
  'broker MALLOC_ARENA_MAX=2': { env: { MALLOC_ARENA_MAX: '2' } },
  // Node reads sockets into 64 KiB blocks: at this threshold they are mmap'd and unmapped when freed.
  'broker MALLOC_MMAP_THRESHOLD_=MALLOC_TRIM_THRESHOLD_=64K': { env: { MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '65536' } },
  'broker MALLOC_ARENA_MAX=1 + thresholds 64K': { env: { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '65536' } },
  'broker --max-semi-space-size=1': { flags: ['--max-semi-space-size=1'] },
};
type Kind = string;
const KINDS = (['redis-server', 'broker'] as Kind[]).filter((k) => values.only === undefined || values.only === k);
if (values['memory-variants'] && values.only !== 'redis-server') KINDS.push(...Object.keys(MEMORY_VARIANTS));
const BASELINE = values['baseline-broker'] ? resolve(values['baseline-broker']) : undefined;
if (BASELINE) KINDS.splice(KINDS.indexOf('broker'), 0, 'broker (baseline)');
if (KINDS.length === 0) {
  console.error(`invalid --only: ${values.only} (broker or redis-server)`);
  process.exit(2);
}
/** A load lasts until every PUBLISH is answered, but not past this. */
const LOAD_CAP_MS = Math.max(SECONDS * 1000, 180_000);

const REDIS_SERVER = '/usr/bin/redis-server';
const BROKER_PROBE = fileURLToPath(new URL('./broker-heap-probe.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ServerProc {
  kind: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
  /** The broker's heap after a full GC (null for redis-server). */
  heap(): Promise<NodeJS.MemoryUsage | null>;
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

async function start(kind: Kind): Promise<ServerProc> {
  const port = await freePort();
  const proc =
    kind === 'redis-server'
      ? spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: 'ignore' })
      : spawn(
          process.execPath,
          [
            '--no-addons',
            '--expose-gc',
            '--disable-warning=ExperimentalWarning',
            ...(MEMORY_VARIANTS[kind]?.flags ?? []),
            ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
            BROKER_PROBE,
            '--port',
            String(port),
          ],
          {
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
            env: {
              ...process.env,
              ...(kind === 'broker (baseline)' && BASELINE ? { HOTPOT_BROKER_CLI: pathToFileURL(BASELINE).href } : {}),
              ...MEMORY_VARIANTS[kind]?.env,
            },
          },
        );
  const end = Date.now() + 30_000;
  while (!(await ping(port))) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`could not start ${kind}`);
    await sleep(50);
  }
  const heap = () =>
    new Promise<NodeJS.MemoryUsage | null>((resolve) => {
      if (kind === 'redis-server' || !proc.connected) return resolve(null);
      const t = setTimeout(() => (proc.off('message', on), resolve(null)), 30_000);
      const on = (m: { type?: string } & NodeJS.MemoryUsage) => {
        if (m?.type !== 'heap') return;
        clearTimeout(t);
        proc.off('message', on);
        resolve(m);
      };
      proc.on('message', on);
      proc.send({ type: 'heap' });
    });
  return { kind, port, proc, stop: stopper(proc), heap };
}

function rss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Where a process's resident memory is (from /proc/PID/smaps): glibc's main heap ([heap], the
 * brk area: malloc's main arena), anonymous mappings (V8's heap pages, WebAssembly memory,
 * other malloc arenas, big mmap'd blocks), files (the node binary, libraries).
 */
function rssParts(pid: number): { heap: number; anon: number; file: number } {
  const parts = { heap: 0, anon: 0, file: 0 };
  try {
    let kind: keyof typeof parts = 'anon';
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) kind = head[1] === '[heap]' ? 'heap' : head[1] === '' || head[1]!.startsWith('[') ? 'anon' : 'file';
      const m = /^Rss:\s+(\d+) kB/.exec(line);
      if (m) parts[kind] += Number(m[1]) * 1024;
    }
  } catch {
    // Not Linux, or the process is gone.
  }
  return parts;
}

/** PING latencies (ms) from one client, one at a time every 5 ms, until stop() settles. */
function pinger(port: number): { stop(): Promise<number[]> } {
  const times: number[] = [];
  let running = true;
  const done = (async () => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    while (running) {
      const t0 = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        s.once('data', () => {
          clearTimeout(timer);
          resolve(true);
        });
        s.write('PING\r\n');
      });
      times.push(ok ? performance.now() - t0 : 10_000);
      await sleep(5);
    }
    s.destroy();
  })();
  return {
    async stop() {
      running = false;
      await done;
      return times;
    },
  };
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface Phase {
  p50: number;
  p99: number;
  pings: number;
  rss: number;
  parts: ReturnType<typeof rssParts>;
}

async function quiet(srv: ServerProc, ms: number): Promise<Phase> {
  const p = pinger(srv.port);
  await sleep(ms);
  const t = await p.stop();
  return { p50: pct(t, 50), p99: pct(t, 99), pings: t.length, rss: rss(srv.proc.pid!), parts: rssParts(srv.proc.pid!) };
}

interface Load extends Phase {
  dropped: number;
  /** PUBLISH commands answered. */
  answered: number;
  /** Bytes the server queued for each subscriber (mean). */
  perSubscriber: number;
  /** The same, in the first --seconds. */
  perSubscriberInTime: number;
  setsPerSecond: number;
  loadSeconds: number;
}

async function underLoad(srv: ServerProc): Promise<Load> {
  const socks: net.Socket[] = [];
  const connect = () =>
    new Promise<net.Socket>((resolve) => {
      const s = net.connect(srv.port, '127.0.0.1');
      s.on('error', () => {});
      s.once('connect', () => resolve(s));
      socks.push(s);
    });
  // Idle and half-sent connections.
  for (let i = 0; loads('idle') && i < IDLE; i++) await connect();
  for (let i = 0; loads('idle') && i < IDLE; i++) (await connect()).write('*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$100\r\nonly part of the value');
  // Subscribers that read their confirmation, then stop reading.
  for (let i = 0; loads('subscribers') && i < SUBSCRIBERS; i++) {
    const s = await connect();
    s.write('SUBSCRIBE firehose\r\n');
    s.once('data', () => s.pause());
  }
  let running = true;
  // A publisher: MESSAGES messages of 1 KiB, 200 per round; it counts the receivers each PUBLISH
  // reply reports, so published bytes = receivers × frame size, whatever the server's speed.
  const msg = 'x'.repeat(1024);
  const command = `*3\r\n$7\r\nPUBLISH\r\n$8\r\nfirehose\r\n$${msg.length}\r\n${msg}\r\n`;
  const frame = `*3\r\n$7\r\nmessage\r\n$8\r\nfirehose\r\n$${msg.length}\r\n${msg}\r\n`.length;
  let receivers = 0;
  let answered = 0;
  /** Receivers counted when --seconds had passed (what the old, time-boxed bench published). */
  let receiversInTime = -1;
  const publisher = (async () => {
    if (!loads('subscribers')) return;
    const s = await connect();
    let pending = '';
    let allAnswered!: () => void;
    const done = new Promise<void>((r) => (allAnswered = r));
    s.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\r\n')) >= 0) {
        receivers += Number(pending.slice(1, i));
        answered++;
        pending = pending.slice(i + 2);
      }
      if (answered >= MESSAGES) allAnswered();
    });
    s.once('close', () => allAnswered());
    for (let sent = 0; sent < MESSAGES; sent += 200) {
      s.write(command.repeat(Math.min(200, MESSAGES - sent)));
      await sleep(10);
    }
    await done;
  })();
  // Pipelines: PIPELINE commands in one write, waiting for all the replies, again.
  const one = `*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n`;
  const batch = Buffer.from(one.repeat(PIPELINE));
  const replyBytes = '+OK\r\n'.length * PIPELINE;
  // Pipelined SETs answered while the load lasts (a server must not buy PING latency by starving them).
  let setsAnswered = 0;
  const pipelines = Array.from({ length: loads('pipelines') ? PIPELINES : 0 }, async () => {
    const s = await connect();
    let onClose = () => {};
    s.once('close', () => onClose());
    while (running) {
      let got = 0;
      await new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          got += d.length;
          if (running) setsAnswered += d.length / '+OK\r\n'.length;
          if (got >= replyBytes) {
            s.off('data', onData);
            resolve();
          }
        };
        s.on('data', onData);
        onClose = resolve;
        s.write(batch);
      });
      if (s.destroyed) return;
    }
  });
  const p = pinger(srv.port);
  let peak = 0;
  const t0 = Date.now();
  let published = false;
  void publisher.then(() => (published = true));
  while ((Date.now() - t0 < SECONDS * 1000 || !published) && Date.now() - t0 < LOAD_CAP_MS) {
    peak = Math.max(peak, rss(srv.proc.pid!));
    if (receiversInTime < 0 && Date.now() - t0 >= SECONDS * 1000) receiversInTime = receivers;
    await sleep(200);
  }
  if (receiversInTime < 0) receiversInTime = receivers;
  const loadSeconds = (Date.now() - t0) / 1000;
  const t = await p.stop();
  running = false;
  await Promise.race([Promise.all(pipelines), sleep(30_000)]);
  // The server's own count of the subscribers it still holds.
  const numsub = await new Promise<number>((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('error', () => resolve(-1));
    s.once('data', (d) => {
      s.destroy();
      const m = /:(\d+)\r\n$/.exec(d.toString());
      resolve(m ? Number(m[1]) : -1);
    });
    s.write('PUBSUB NUMSUB firehose\r\n');
  });
  const dropped = numsub < 0 ? NaN : (loads('subscribers') ? SUBSCRIBERS : 0) - numsub;
  for (const s of socks) s.destroy();
  return {
    p50: pct(t, 50),
    p99: pct(t, 99),
    pings: t.length,
    rss: peak,
    parts: rssParts(srv.proc.pid!),
    dropped,
    answered,
    perSubscriber: (receivers * frame) / SUBSCRIBERS,
    perSubscriberInTime: (receiversInTime * frame) / SUBSCRIBERS,
    setsPerSecond: setsAnswered / loadSeconds,
    loadSeconds,
  };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const ms = (n: number) => `${n.toFixed(2)} ms`;

const heapLine = (h: NodeJS.MemoryUsage | null) =>
  h ? `heap used ${mb(h.heapUsed)} (of ${mb(h.heapTotal)}), off-heap Buffers ${mb(h.arrayBuffers)}, RSS ${mb(h.rss)}` : 'n/a';

const rows: { kind: string; before: Phase; during: Load; after: Phase; settled: Phase | null; heapBefore: NodeJS.MemoryUsage | null; heapAfter: NodeJS.MemoryUsage | null }[] = [];
for (const kind of KINDS) {
  const srv = await start(kind);
  try {
    console.error(`${kind}: before…`);
    const before = await quiet(srv, 3000);
    const heapBefore = await srv.heap();
    console.error(`${kind}: under load for ${SECONDS} s at least, until ${MESSAGES} PUBLISH are answered…`);
    const during = await underLoad(srv);
    await sleep(3000);
    console.error(`${kind}: after…`);
    const after = await quiet(srv, 3000);
    const heapAfter = await srv.heap();
    let settled: Phase | null = null;
    if (SETTLE > 0) {
      console.error(`${kind}: ${SETTLE} s after the load…`);
      await sleep(Math.max(0, SETTLE - 9) * 1000);
      settled = await quiet(srv, 3000);
    }
    rows.push({ kind, before, during, after, settled, heapBefore, heapAfter });
  } finally {
    await srv.stop();
  }
}

const SETTLED = `after ${SETTLE} s`;
/** before, during (peak), after (3 s after the load), and --settle s after it, when measured. */
const phasesOf = (r: (typeof rows)[number]) =>
  [['before', r.before], ['during', r.during], ['after', r.after], ...(r.settled ? [[SETTLED, r.settled]] : [])] as [string, Phase][];
if (PHASE !== 'all') console.log(`\nOnly this part of the load: ${PHASE} (--phase).`);
console.log(`\nLoad: ${IDLE} idle + ${IDLE} half-sent connections, ${PIPELINES} × ${PIPELINE}-command pipelines, ${SUBSCRIBERS} subscribers that stopped reading while ${MESSAGES} 1 KiB messages were published; at least ${SECONDS} s, until every PUBLISH was answered.`);
console.log('PING latency of a well-behaved client (one at a time, every 5 ms), and the server process\'s RSS (peak during the load).\n');
console.log(['server', 'phase', 'PING p50', 'PING p99', 'PINGs', 'RSS', 'load lasted', 'pipelined SETs answered / s', 'PUBLISH answered', 'published to each subscriber in the first --seconds', 'in all', 'slow subscribers dropped'].join(' | '));
console.log(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:'].join(' | '));
for (const r of rows) {
  for (const [phase, x] of phasesOf(r)) {
    // Figures of a part of the load that did not run (--phase) are left blank.
    const pubsub = loads('subscribers');
    const d = phase === 'during' ? [`${r.during.loadSeconds.toFixed(1)} s`, loads('pipelines') ? Math.round(r.during.setsPerSecond) : '', pubsub ? `${r.during.answered} / ${MESSAGES}` : '', pubsub ? mb(r.during.perSubscriberInTime) : '', pubsub ? mb(r.during.perSubscriber) : '', pubsub ? `${r.during.dropped} / ${SUBSCRIBERS}` : ''] : ['', '', '', '', '', ''];
    console.log([r.kind, phase, ms(x.p50), ms(x.p99), x.pings, mb(x.rss), ...d].join(' | '));
  }
}
console.log('\nWhere the RSS is, before and after the load (/proc/PID/smaps): malloc\'s main heap ([heap]), anonymous mappings (V8 heap, WebAssembly memory, other malloc arenas), files.\n');
console.log(['server', 'phase', '[heap]', 'anonymous', 'files'].join(' | '));
console.log(['---', '---', '---:', '---:', '---:'].join(' | '));
for (const r of rows) {
  for (const [phase, x] of phasesOf(r).filter(([p]) => p !== 'during')) console.log([r.kind, phase, mb(x.parts.heap), mb(x.parts.anon), mb(x.parts.file)].join(' | '));
}
for (const r of rows) {
  if (r.heapBefore) console.log(`\n${r.kind} after a full GC: before the load ${heapLine(r.heapBefore)}; after ${heapLine(r.heapAfter)}.`);
}
const redis = rows.find((r) => r.kind === 'redis-server');
for (const broker of rows.filter((r) => r.kind !== 'redis-server')) {
  if (!redis) break;
  console.log(`\nRatios ${broker.kind} / redis-server during the load: PING p50 ×${(broker.during.p50 / redis.during.p50).toFixed(1)}, p99 ×${(broker.during.p99 / redis.during.p99).toFixed(1)}; RSS after / before: redis-server ×${(redis.after.rss / redis.before.rss).toFixed(2)}, ${broker.kind} ×${(broker.after.rss / broker.before.rss).toFixed(2)}${redis.settled && broker.settled ? `; ${SETTLED} / before: redis-server ×${(redis.settled.rss / redis.before.rss).toFixed(2)}, ${broker.kind} ×${(broker.settled.rss / broker.before.rss).toFixed(2)}` : ''}.`);
}

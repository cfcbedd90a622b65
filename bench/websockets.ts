// `npm run bench:websockets`: the WebSockets sandbox's finished chat (every step's solution)
// under load. Not a test: timings on a shared machine are noisy, so they are reported, never
// asserted.
//
// Two chat instances (chat-a, chat-b) run as the sandbox runs them, as separate Node
// processes, with their channel layer on a broker. 500 WebSocket clients (by default) join one
// room, alternating between the instances, so every message crosses the broker to reach half
// of the room. A few of them send at a fixed total rate; every client records, for every
// message it receives, the time from send to delivery. Reported per offered rate: messages
// sent and delivered per second, deliveries lost, and p50 / p99 / max delivery latency, split
// into same-instance and cross-instance deliveries.
//
// The same load runs twice in one run, side by side: with the embedded broker as the channel
// layer, and with Debian's redis-server; the ratios compare them. The clients run in this
// process, on the same two cores as the servers: the figures are for the whole loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { writeInside } from '../runner/paths.ts';
import { loadSandbox } from '../sandboxes/load.ts';
import { prepareSandboxModules } from '../site/integration/sandbox-modules.ts';
import { freePort } from '../test/broker/harness.ts';
import { positiveInt } from './args.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    senders: { type: 'string', default: '10' },
    rates: { type: 'string', default: '20,100' },
    seconds: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/websockets.ts [--clients 500] [--senders 10] [--rates 20,100] [--seconds 5]\n  rates: messages per second sent into the room, in total');
  process.exit(0);
}
const CLIENTS = positiveInt('clients', values.clients);
const SENDERS = Math.min(positiveInt('senders', values.senders), CLIENTS);
const RATES = values.rates.split(',').map((r) => positiveInt('rates', r.trim()));
const SECONDS = positiveInt('seconds', values.seconds);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REDIS_SERVER = '/usr/bin/redis-server';

// ---------------------------------------------------------------------------
// Processes

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
}

function start(name: string, file: string, args: string[], cwd: string, env: Record<string, string> = {}): Proc {
  const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, child, output: () => out };
}

async function until(what: string, proc: Proc, ok: () => boolean | Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}) before ${what}:\n${proc.output()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(procs: Proc[]) {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.kill('SIGTERM');
          setTimeout(() => p.child.kill('SIGKILL'), 3000).unref();
        }),
    ),
  );
}

/** The sandbox with every step solved, written out as a run folder with its node_modules. */
async function finishedSandbox(): Promise<string> {
  const sandbox = await loadSandbox('websockets');
  const files = sandbox.steps.at(-1)!.solution;
  const modules = await prepareSandboxModules(ROOT, join(ROOT, '.hotpot', 'sandbox-modules'));
  const dir = mkdtempSync(join(tmpdir(), 'hotpot-bench-ws-'));
  for (const [path, text] of Object.entries(files)) await writeInside(dir, path, text);
  symlinkSync(modules.dir, join(dir, 'node_modules'));
  return dir;
}

async function startBroker(kind: 'broker' | 'redis-server', dir: string): Promise<{ proc: Proc; port: number }> {
  const port = await freePort();
  const proc =
    kind === 'broker'
      ? start('broker', process.execPath, ['--no-addons', 'node_modules/hotpot-broker/cli.js', '--port', String(port)], dir)
      : start('redis-server', REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], dir);
  await until(`${kind} to listen`, proc, () => /listening on|Ready to accept connections/i.test(proc.output()));
  return { proc, port };
}

async function startChat(instance: string, dir: string, redisPort: number): Promise<{ proc: Proc; port: number }> {
  const port = await freePort();
  const proc = start(`chat-${instance}`, process.execPath, ['--no-addons', '--disable-warning=ExperimentalWarning', 'server.ts'], dir, {
    INSTANCE: instance,
    PORT: String(port),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  });
  await until(`chat-${instance} to listen`, proc, () => proc.output().includes('listening on'));
  return { proc, port };
}

// ---------------------------------------------------------------------------
// Clients

interface Client {
  socket: WebSocket;
  instance: string;
  /** How the server closed it, if it did (a heartbeat that timed out under load, say). */
  closed?: number;
}

interface Tally {
  /** Deliveries by the instance the receiver is on compared with the sender's. */
  same: number[];
  cross: number[];
}

const now = () => performance.timeOrigin + performance.now();

async function connectAll(ports: Record<string, number>, room: string, tally: { current: Tally | null }): Promise<Client[]> {
  const instances = Object.keys(ports);
  const clients: Client[] = [];
  // In batches, so the servers' accept queues are not the thing measured.
  for (let i = 0; i < CLIENTS; i += 50) {
    const batch = Array.from({ length: Math.min(50, CLIENTS - i) }, (_, j) => {
      const instance = instances[(i + j) % instances.length]!;
      const socket = new WebSocket(`ws://127.0.0.1:${ports[instance]}/ws/chat/${room}?name=c${i + j}`);
      const client: Client = { socket, instance };
      socket.once('close', (code) => (client.closed = code));
      socket.on('message', (data) => {
        const t = now();
        const event = JSON.parse(data.toString()) as { type: string; text?: string; instance?: string };
        if (event.type !== 'message' || !tally.current) return;
        const sentAt = Number(event.text!.split(' ')[1]);
        (event.instance === instance ? tally.current.same : tally.current.cross).push(t - sentAt);
      });
      return new Promise<Client>((resolve, reject) => {
        socket.once('error', reject);
        // Joined once the welcome (sent after the layer has subscribed) arrives.
        socket.once('message', () => resolve(client));
      });
    });
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  rate: number;
  /** Clients the servers had closed by the end of this rate's run, by close code. */
  closedByServer: Record<number, number>;
  sent: number;
  sentPerSecond: number;
  deliveredPerSecond: number;
  lost: number;
  p50: number;
  p99: number;
  max: number;
  p99Same: number;
  p99Cross: number;
}

async function load(clients: Client[], rate: number, tally: { current: Tally | null }): Promise<Result> {
  const senders = clients.slice(0, SENDERS);
  const current: Tally = { same: [], cross: [] };
  tally.current = current;
  const started = now();
  const interval = 1000 / rate;
  let sent = 0;
  // A fixed schedule: message k goes at started + k × interval, whatever the last one cost.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(Math.floor((now() - started) / interval) + 1, rate * SECONDS);
      for (; sent < due; sent++) senders[sent % senders.length]!.socket.send(JSON.stringify({ type: 'message', text: `m ${now()}` }));
      if (sent >= rate * SECONDS) resolve();
      else setTimeout(tick, Math.max(1, Math.min(interval, 10)));
    };
    tick();
  });
  const sendingTook = (now() - started) / 1000;
  // Let the stragglers arrive: until nothing new for half a second, at most 10 s.
  const expected = sent * clients.length;
  let last = -1;
  for (let waited = 0; waited < 10_000; waited += 500) {
    const got = current.same.length + current.cross.length;
    if (got >= expected || got === last) break;
    last = got;
    await new Promise((r) => setTimeout(r, 500));
  }
  tally.current = null;
  const elapsed = (now() - started) / 1000;
  const all = [...current.same, ...current.cross].sort((a, b) => a - b);
  const closedByServer: Record<number, number> = {};
  for (const c of clients) if (c.closed !== undefined) closedByServer[c.closed] = (closedByServer[c.closed] ?? 0) + 1;
  return {
    rate,
    closedByServer,
    sent,
    sentPerSecond: sent / sendingTook,
    deliveredPerSecond: all.length / elapsed,
    lost: expected - all.length,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: all.at(-1) ?? NaN,
    p99Same: percentile(current.same.sort((a, b) => a - b), 99),
    p99Cross: percentile(current.cross.sort((a, b) => a - b), 99),
  };
}

async function scenario(kind: 'broker' | 'redis-server', dir: string): Promise<Result[]> {
  const broker = await startBroker(kind, dir);
  const a = await startChat('a', dir, broker.port);
  const b = await startChat('b', dir, broker.port);
  const procs = [a.proc, b.proc, broker.proc];
  const tally: { current: Tally | null } = { current: null };
  try {
    const clients = await connectAll({ a: a.port, b: b.port }, 'load', tally);
    // Warm up (JIT, connections) before measuring.
    await load(clients, 20, tally);
    const results: Result[] = [];
    for (const rate of RATES) results.push(await load(clients, rate, tally));
    // Anything the instances complained about (a lost broker connection) explains lost deliveries.
    for (const p of [a.proc, b.proc]) {
      const complaints = p.output().split('\n').filter((l) => l.trim() && !l.includes('listening on'));
      if (complaints.length) console.log(`  ${p.name} said:\n    ${complaints.slice(-5).join('\n    ')}`);
    }
    for (const c of clients) c.socket.terminate();
    return results;
  } finally {
    await stop(procs);
  }
}

// ---------------------------------------------------------------------------

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
const int = (v: number) => Math.round(v).toLocaleString('en-US');

const dir = await finishedSandbox();
try {
  console.log(`WebSockets chat under load: ${CLIENTS} clients in one room, alternating chat-a / chat-b; ${SENDERS} of them send; ${SECONDS} s per rate.`);
  console.log(`Every message is delivered to all ${CLIENTS} clients (sender included); half the deliveries cross the broker.\n`);
  const byKind: Record<string, Result[]> = {};
  for (const kind of ['broker', 'redis-server'] as const) {
    byKind[kind] = await scenario(kind, dir);
    console.log(`channel layer on ${kind === 'broker' ? 'the embedded broker' : 'redis-server'}:`);
    for (const r of byKind[kind]!)
      console.log(
        `  ${String(r.rate).padStart(4)} msg/s offered: sent ${r.sentPerSecond.toFixed(0)}/s, delivered ${int(r.deliveredPerSecond)}/s, lost ${r.lost}; ` +
          `latency p50 ${ms(r.p50)}, p99 ${ms(r.p99)} (same instance ${ms(r.p99Same)}, across ${ms(r.p99Cross)}), max ${ms(r.max)}` +
          (Object.keys(r.closedByServer).length
            ? `; clients closed by the servers so far: ${Object.entries(r.closedByServer).map(([code, n]) => `${n} with ${code}`).join(', ')}`
            : ''),
      );
    console.log('');
  }
  console.log('side by side, embedded broker / redis-server:');
  byKind.broker!.forEach((r, i) => {
    const s = byKind['redis-server']![i]!;
    console.log(
      `  ${String(r.rate).padStart(4)} msg/s: deliveries/s ${((r.deliveredPerSecond / s.deliveredPerSecond) * 100).toFixed(0)} %, ` +
        `p99 latency ${(r.p99 / s.p99).toFixed(2)}× (${ms(r.p99)} vs ${ms(s.p99)})`,
    );
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

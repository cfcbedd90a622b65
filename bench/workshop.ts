// `npm run bench:workshop`: a class of simulated attendees on loopback against the workshop hub.
// Not a test: timings on a shared machine are noisy, so they are reported, never asserted
// (the goal the design names is p99 ≤ 100 ms to the console and to attendees).
//
// Each attendee joins by code, then every couple of seconds (jittered) reports what a reader's
// workbench does: a step change, edits, runs, Checks. Every Check carries its send time, so the
// instructor's console measures send → shown. Meanwhile the instructor starts a countdown every
// second whose label carries its send time, so every attendee measures instructor → attendee.
// Reported: p50 / p99 / max for both, the hub's CPU (per cent of one core) and its memory per
// attendee. Three setups side by side, taking turns for --rounds rounds: one hub on SQLite,
// one hub on redis-server, and two hubs on one redis-server (attendees alternating between
// them, the console on the second, so every figure crosses Redis).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { freePort, startRedis } from '../test/broker/harness.ts';
import type { HubMessage } from '../workshop/schema.ts';
import { positiveInt } from './args.ts';

const { values } = parseArgs({
  options: {
    attendees: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    every: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/workshop.ts [--attendees 200] [--seconds 10] [--every 2000] [--rounds 3]\n  every: milliseconds between one attendee’s events, on average\n  rounds: how many times each setup runs, taking turns');
  process.exit(0);
}
const N = positiveInt('attendees', values.attendees);
const SECONDS = positiveInt('seconds', values.seconds);
const EVERY = positiveInt('every', values.every);
const ROUNDS = positiveInt('rounds', values.rounds);
const SECRET = 'bench-secret';
const STEPS = ['make-it-async', 'retries-with-backoff', 'idempotent-delivery'];

interface HubProc {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startHub(args: string[]): Promise<HubProc> {
  const port = await freePort();
  const child = spawn(process.execPath, ['workshop/cli.ts', '--no-build', '--port', String(port), '--secret', SECRET, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => /Instructor's console/.test(log) && resolve());
    child.once('exit', (code) => reject(new Error(`the hub exited with ${code}:\n${log}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { port, child, stop: async () => (child.kill('SIGTERM'), await exited) };
}

/** utime + stime in clock ticks, and resident memory in KB, of one process. */
function usage(pid: number): { ticks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { ticks, rssKb };
}
const TICKS_PER_SECOND = 100;

/** `from`: a loopback address of its own, so each simulated attendee is a machine of its own to the hub's join limits. */
function client(port: number, from?: string): Promise<{ ws: WebSocket; send: (m: object) => void; on: (f: (m: HubMessage) => void) => void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/workshop/ws`, from ? { localAddress: from } : {});
    const handlers: ((m: HubMessage) => void)[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as HubMessage;
      for (const h of handlers) h(m);
    });
    ws.once('error', reject);
    ws.once('open', () => resolve({ ws, send: (m) => ws.send(JSON.stringify(m)), on: (f) => handlers.push(f) }));
  });
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

interface Result {
  label: string;
  console: number[];
  attendees: number[];
  sentChecks: number;
  /** Redis commands run per message the hubs handled (attendees' events and the countdowns), those a script runs included; NaN on SQLite. */
  redisPerMessage: number;
  /** The longest this benchmark's own process went unscheduled or busy (ms): a stall of the machine shows here too. */
  ownStallMs: number;
  cpuPercent: number;
  rssPerAttendeeKb: number;
  errors: string[];
}

/** Commands redis-server has run so far (INFO commandstats), the INFOs asked for here left out. */
async function redisCalls(redis: Redis | undefined): Promise<number> {
  if (!redis) return NaN;
  const stats = await redis.info('commandstats');
  let calls = 0;
  for (const m of stats.matchAll(/^cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/gm)) if (m[1] !== 'info') calls += Number(m[2]);
  return calls;
}

async function run(label: string, hubs: HubProc[], redis?: Redis): Promise<Result> {
  const errors: string[] = [];
  const before = hubs.map((h) => usage(h.child.pid!));
  // The console sits on the last hub: with two, every attendee on the first crosses Redis.
  const instructor = await client(hubs.at(-1)!.port);
  const consoleLatency: number[] = [];
  const seen = new Set<string>(); // a later edit or run re-sends the step's last reason: count each Check once
  let workshop = '';
  let code = '';
  await new Promise<void>((resolve) => {
    instructor.on((m) => {
      if (m.type === 'workshops') instructor.send({ type: 'create', title: `bench ${label}`, lessons: ['async-tasks'] });
      else if (m.type === 'console') ((workshop = m.workshop.id), (code = m.workshop.code), resolve());
      else if (m.type === 'attendee') {
        const s = m.attendee.steps[`async-tasks/${m.attendee.step}`];
        const t = s && /^t=(\d+(?:\.\d+)?)$/.exec(s.lastReason);
        if (t && !seen.has(`${m.attendee.id} ${t[1]}`)) {
          seen.add(`${m.attendee.id} ${t[1]}`);
          consoleLatency.push(performance.timeOrigin + performance.now() - Number(t[1]));
        }
      } else if (m.type === 'error') errors.push(`console: ${m.message}`);
    });
    instructor.send({ type: 'hello', role: 'instructor', secret: SECRET });
  });

  const attendeeLatency: number[] = [];
  const people = [];
  for (let i = 0; i < N; i++) {
    const c = await client(hubs[i % hubs.length]!.port, `127.1.${Math.floor(i / 250)}.${1 + (i % 250)}`);
    c.on((m) => {
      if (m.type === 'workshop' && m.workshop.pace) {
        const t = /^t(\d+(?:\.\d+)?)$/.exec(m.workshop.pace.label);
        if (t) attendeeLatency.push(performance.timeOrigin + performance.now() - Number(t[1]));
      } else if (m.type === 'error') errors.push(`attendee ${i}: ${m.message}`);
    });
    const welcomed = new Promise<void>((r, reject) => c.on((m) => (m.type === 'welcome' ? r() : m.type === 'error' && m.fatal ? reject(new Error(`attendee ${i} could not join: ${m.message}`)) : undefined)));
    c.send({ type: 'hello', role: 'join', code, name: `attendee ${i}` });
    await welcomed;
    people.push(c);
  }
  const joined = hubs.map((h) => usage(h.child.pid!));
  consoleLatency.length = 0;

  const callsBefore = await redisCalls(redis);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const start = Date.now();
  let sentChecks = 0;
  let sent = 0;
  const timers: NodeJS.Timeout[] = [];
  const stamp = () => (performance.timeOrigin + performance.now()).toFixed(3);
  people.forEach((c, i) => {
    let n = 0;
    const tick = () => {
      if (Date.now() - start > SECONDS * 1000) return;
      const step = STEPS[Math.floor(n / 6) % STEPS.length]!;
      const kind = n % 6;
      if (kind === 0) c.send({ type: 'step', lesson: 'async-tasks', step });
      else if (kind === 1 || kind === 2) c.send({ type: 'edit', lesson: 'async-tasks', step });
      else if (kind === 3) c.send({ type: 'run', lesson: 'async-tasks', step, state: 'running' });
      else (c.send({ type: 'check', lesson: 'async-tasks', step, ok: kind === 5 && i % 2 === 0, reason: `t=${stamp()}` }), sentChecks++);
      n++;
      sent++;
      timers.push(setTimeout(tick, EVERY * (0.5 + Math.random())));
    };
    timers.push(setTimeout(tick, Math.random() * EVERY));
  });
  const pacer = setInterval(() => (instructor.send({ type: 'pace', workshop, label: `t${stamp()}`, seconds: 600 }), sent++), 1000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000 + 1500));
  clearInterval(pacer);
  timers.forEach(clearTimeout);
  const after = hubs.map((h) => usage(h.child.pid!));
  loop.disable();
  const calls = (await redisCalls(redis)) - callsBefore;
  const elapsed = (Date.now() - start) / 1000;
  const ticks = after.reduce((s, u, i) => s + u.ticks - joined[i]!.ticks, 0);
  const rssGrowth = joined.reduce((s, u, i) => s + u.rssKb - before[i]!.rssKb, 0);
  for (const c of [instructor, ...people]) c.ws.close();
  return {
    label,
    console: consoleLatency,
    attendees: attendeeLatency,
    sentChecks,
    redisPerMessage: calls / sent,
    ownStallMs: loop.max / 1e6,
    cpuPercent: (ticks / TICKS_PER_SECOND / elapsed) * 100,
    rssPerAttendeeKb: rssGrowth / N,
    errors,
  };
}

const tmp = mkdtempSync(join(tmpdir(), 'hotpot-bench-workshop-'));
/** Each setup's rounds, in the order they ran. */
const rounds = new Map<string, Result[]>();
const keep = (r: Result) => rounds.set(r.label, [...(rounds.get(r.label) ?? []), r]);
const redis = await startRedis();
const url = `redis://127.0.0.1:${redis.port}`;
const stats = new Redis(url);
try {
  // The setups take turns, round after round, so a burst of load from elsewhere on the machine
  // falls on all of them alike rather than on whichever ran at that moment.
  for (let round = 0; round < ROUNDS; round++) {
    const sqlite = await startHub(['--db', join(tmp, `bench-${round}.db`)]);
    try {
      keep(await run('one hub, SQLite', [sqlite]));
    } finally {
      await sqlite.stop();
    }
    const one = await startHub(['--redis-url', url]);
    try {
      keep(await run('one hub, redis-server', [one], stats));
    } finally {
      await one.stop();
    }
    const a = await startHub(['--redis-url', url]);
    const b = await startHub(['--redis-url', url]);
    try {
      keep(await run('two hubs, redis-server', [a, b], stats));
    } finally {
      await a.stop();
      await b.stop();
    }
  }
} finally {
  stats.disconnect();
  await redis.stop();
  rmSync(tmp, { recursive: true, force: true });
}
/** A setup's rounds pooled: every sample of every round, CPU and memory averaged. */
const results: Result[] = [...rounds.values()].map((rs) => ({
  label: rs[0]!.label,
  console: rs.flatMap((r) => r.console),
  attendees: rs.flatMap((r) => r.attendees),
  sentChecks: rs.reduce((s, r) => s + r.sentChecks, 0),
  redisPerMessage: rs.reduce((s, r) => s + r.redisPerMessage, 0) / rs.length,
  ownStallMs: Math.max(...rs.map((r) => r.ownStallMs)),
  cpuPercent: rs.reduce((s, r) => s + r.cpuPercent, 0) / rs.length,
  rssPerAttendeeKb: rs.reduce((s, r) => s + r.rssPerAttendeeKb, 0) / rs.length,
  errors: rs.flatMap((r) => r.errors),
}));

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
console.log(`\n${N} attendees, one event each every ~${EVERY} ms for ${SECONDS} s, ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} of each setup taking turns (pooled below); the instructor starts a countdown every second (clients, hubs and Redis share this machine)\n`);
console.log('setup                   | Check → console p50 / p99 / max ms (n)   | instructor → attendee p50 / p99 / max ms (n) | hub CPU % | hub KB per attendee | Redis commands per message (inside scripts too)');
for (const r of results)
  console.log(
    `${r.label.padEnd(23)} | ${`${f(pct(r.console, 50))} / ${f(pct(r.console, 99))} / ${f(Math.max(...r.console))} (${r.console.length} of ${r.sentChecks})`.padEnd(40)} | ${`${f(pct(r.attendees, 50))} / ${f(pct(r.attendees, 99))} / ${f(Math.max(...r.attendees))} (${r.attendees.length})`.padEnd(44)} | ${f(r.cpuPercent).padStart(9)} | ${f(r.rssPerAttendeeKb).padStart(19)} | ${f(r.redisPerMessage).padStart(5)}`,
  );
console.log('\nCheck → console p99 in each round, and (in brackets) the longest stall of this benchmark’s own process then, ms:');
for (const [label, rs] of rounds) console.log(`  ${label.padEnd(23)} ${rs.map((r) => `${f(pct(r.console, 99))} [${f(r.ownStallMs)}]`).join(', ')}`);
console.log();
const [s, ...others] = results as [Result, ...Result[]];
for (const r of others)
  console.log(
    `ratios, ${r.label} / ${s.label}: console p50 ×${(pct(r.console, 50) / pct(s.console, 50)).toFixed(2)}, p99 ×${(pct(r.console, 99) / pct(s.console, 99)).toFixed(2)}; attendee p99 ×${(pct(r.attendees, 99) / pct(s.attendees, 99)).toFixed(2)}; hub CPU (all hubs) ×${(r.cpuPercent / s.cpuPercent).toFixed(2)}`,
  );
for (const r of results) if (r.errors.length) console.log(`\n${r.label}: ${r.errors.length} errors from the hub, first: ${r.errors[0]}`);

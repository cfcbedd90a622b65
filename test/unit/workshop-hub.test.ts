// The workshop hub over its real WebSocket: joining, progress reaching the console, the
// refusals (wrong secrets, garbage, oversize, floods, foreign origins), a restart on the same
// SQLite file, CSV export, and two hubs sharing one real redis-server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createHub, WS_PATH, type Hub } from '../../workshop/hub.ts';
import { LIMITS, type AttendeeView, type HubMessage, type Workshop } from '../../workshop/schema.ts';
import { openRedisStore } from '../../workshop/store/redis.ts';
import { openSqliteStore } from '../../workshop/store/sqlite.ts';
import type { WorkshopStore } from '../../workshop/store/types.ts';
import { startRedis, type RedisProcess } from '../broker/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'hotpot-workshop-hub-'));
const dist = join(dir, 'dist');
mkdirSync(join(dist, 'workshop'), { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html><html><head><title>Hotpot</title></head><body>course</body></html>');
writeFileSync(
  join(dist, 'workshop', 'course.json'),
  JSON.stringify({ lessons: [{ id: 'async-tasks', title: 'Async tasks', steps: [{ id: 'make-it-async', title: 'Move it' }, { id: 'retries-with-backoff', title: 'Retry' }] }] }),
);
after(() => rmSync(dir, { recursive: true, force: true }));

interface Client {
  ws: WebSocket;
  messages: HubMessage[];
  /** `ms`: how long to wait (5 s by default). */
  next<T extends HubMessage['type']>(type: T, where?: (m: Extract<HubMessage, { type: T }>) => boolean, ms?: number): Promise<Extract<HubMessage, { type: T }>>;
  send(m: unknown): void;
  closed: Promise<number>;
}

/** `from`: the client's own loopback address (127.0.0.2…), to be another machine to the hub. */
function connect(port: number, hello: object | null, origin?: string, from?: string, headers?: Record<string, string>): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`, { ...(origin ? { origin } : {}), ...(from ? { localAddress: from } : {}), ...(headers ? { headers } : {}) });
    const messages: HubMessage[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (d) => {
      messages.push(JSON.parse(String(d)) as HubMessage);
      waiters.splice(0).forEach((w) => w());
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('open', () => {
      if (hello) ws.send(JSON.stringify(hello));
      resolve({
        ws,
        messages,
        closed,
        send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
        next(type, where = () => true, ms = 5000) {
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no ${type} message; got ${JSON.stringify(messages).slice(-600)}`)), ms);
            const look = () => {
              const i = messages.findIndex((m) => m.type === type && where(m as never));
              if (i >= 0) {
                clearTimeout(timer);
                res(messages.splice(i, 1)[0] as never);
              } else waiters.push(look);
            };
            look();
          });
        },
      });
    });
  });
}

async function setup(hub: Hub) {
  const instructor = await connect(hub.port, { type: 'hello', role: 'instructor', secret: hub.secret });
  await instructor.next('workshops');
  instructor.send({ type: 'create', title: 'Tuesday <b>class</b>', lessons: ['async-tasks'] });
  const { workshop } = await instructor.next('console');
  return { instructor, workshop };
}

async function joinAs(port: number, w: Workshop, name: string, from?: string) {
  const c = await connect(port, { type: 'hello', role: 'join', code: w.code.toLowerCase(), name }, undefined, from);
  const joined = await c.next('joined');
  const welcome = await c.next('welcome');
  return { c, joined, welcome };
}

describe('workshop hub on SQLite', () => {
  const db = join(dir, 'hub.db');
  let store: WorkshopStore;
  let hub: Hub;
  const logs: string[] = [];
  before(async () => {
    store = openSqliteStore(db);
    hub = await createHub({ store, dist, log: (l) => logs.push(l) });
  });
  after(async () => {
    await hub?.close();
    await store?.close();
  });

  let workshop: Workshop;
  let instructor: Client;
  let ada: Awaited<ReturnType<typeof joinAs>>;

  test('an attendee joins by code and their failed, then passed Check reaches the console', async () => {
    ({ instructor, workshop } = await setup(hub));
    assert.match(workshop.code, /^[A-HJ-NP-Z2-9]{6}$/);
    ada = await joinAs(hub.port, workshop, '  Ada  ');
    assert.equal(ada.welcome.me.name, 'Ada');
    assert.equal((await instructor.next('attendee')).attendee.name, 'Ada');
    ada.c.send({ type: 'step', lesson: 'async-tasks', step: 'make-it-async', runtime: 'local' });
    ada.c.send({ type: 'check', lesson: 'async-tasks', step: 'make-it-async', ok: false, reason: 'the signup still waits for the email' });
    const failed = await instructor.next('attendee', (m) => m.attendee.steps['async-tasks/make-it-async']?.state === 'failed');
    assert.deepEqual(
      { ...failed.attendee.steps['async-tasks/make-it-async'], at: 0 },
      { state: 'failed', fails: 1, lastReason: 'the signup still waits for the email', at: 0 },
    );
    assert.equal(failed.attendee.runtime, 'local');
    assert.equal((failed.attendee as Record<string, unknown>).secretHash, undefined, 'the console never sees a secret’s hash');
    ada.c.send({ type: 'check', lesson: 'async-tasks', step: 'make-it-async', ok: true, reason: 'passed' });
    const passed = await instructor.next('attendee', (m) => m.attendee.steps['async-tasks/make-it-async']?.state === 'passed');
    assert.equal(passed.attendee.steps['async-tasks/make-it-async']!.fails, 0);
  });

  test('a help note is queued with its text, and the instructor resolves it', async () => {
    ada.c.send({ type: 'note', kind: 'help', text: 'my worker never starts' });
    const asked = await instructor.next('attendee', (m) => m.attendee.note?.kind === 'help');
    assert.equal(asked.attendee.note?.text, 'my worker never starts');
    instructor.send({ type: 'resolve', workshop: workshop.id, attendee: ada.joined.attendee });
    await instructor.next('attendee', (m) => m.attendee.note === null);
    await ada.c.next('attendee', (m) => m.attendee.note === null); // the attendee sees their note taken down
  });

  test('follow me and the countdown reach attendees', async () => {
    instructor.send({ type: 'follow', workshop: workshop.id, lesson: 'async-tasks', step: 'retries-with-backoff' });
    const led = await ada.c.next('workshop', (m) => m.workshop.follow !== null);
    assert.equal(led.workshop.follow?.step, 'retries-with-backoff');
    instructor.send({ type: 'pace', workshop: workshop.id, label: 'Retries', seconds: 300 });
    const paced = await ada.c.next('workshop', (m) => m.workshop.pace !== null);
    assert.equal(paced.workshop.pace?.label, 'Retries');
    instructor.send({ type: 'follow', workshop: workshop.id, lesson: 'async-tasks', step: 'no-such-step' });
    assert.match((await instructor.next('error')).message, /not a step of this workshop/);
  });

  test('a broadcast message with code reaches attendees; a path leaving the sandbox is refused', async () => {
    instructor.send({ type: 'broadcast', workshop: workshop.id, text: 'Try this', code: 'export const x = 1;\n', path: '../etc/passwd' });
    assert.match((await instructor.next('error')).message, /a file path (is like|stays inside)/);
    instructor.send({ type: 'broadcast', workshop: workshop.id, text: 'Try this', code: 'export const x = 1;\n', path: 'settings.ts' });
    const shown = await ada.c.next('workshop', (m) => m.workshop.broadcast !== null);
    assert.deepEqual({ ...shown.workshop.broadcast, id: '', at: 0 }, { id: '', at: 0, text: 'Try this', code: 'export const x = 1;\n', path: 'settings.ts' });
    instructor.send({ type: 'unbroadcast', workshop: workshop.id });
    await ada.c.next('workshop', (m) => m.workshop.broadcast === null);
  });

  test('the instructor looks at an attendee’s files live; files are relayed only while someone looks, and one can be shown to the class', async () => {
    const other = await joinAs(hub.port, workshop, 'Other');
    ada.c.send({ type: 'files', lesson: 'async-tasks', step: 'make-it-async', files: { 'server.ts': 'before anyone looks' } });
    instructor.send({ type: 'look', workshop: workshop.id, attendee: ada.joined.attendee });
    await ada.c.next('look', (m) => m.on);
    ada.c.send({ type: 'files', lesson: 'async-tasks', step: 'make-it-async', files: { 'server.ts': 'const x = 1;', 'worker.ts': '' } });
    const got = await instructor.next('files');
    assert.deepEqual(got.files, { 'server.ts': 'const x = 1;', 'worker.ts': '' });
    assert.ok(!instructor.messages.some((m) => m.type === 'files' && m.files['server.ts'] === 'before anyone looks'), 'nothing was relayed before the look');
    assert.ok(!other.c.messages.some((m) => m.type === 'files' || m.type === 'look'), 'another attendee sees neither the look nor the files');
    ada.c.send({ type: 'files', lesson: 'async-tasks', step: 'make-it-async', files: { '../../etc/passwd': 'x' } });
    assert.match((await ada.c.next('error')).message, /file paths stay inside the sandbox/);
    instructor.send({ type: 'share', workshop: workshop.id, attendee: ada.joined.attendee, path: 'server.ts', contents: 'const x = 1;' });
    const shown = await other.c.next('workshop', (m) => m.workshop.shared !== null);
    assert.deepEqual({ ...shown.workshop.shared, at: 0 }, { attendee: ada.joined.attendee, name: 'Ada', path: 'server.ts', contents: 'const x = 1;', at: 0 });
    instructor.send({ type: 'unshare', workshop: workshop.id });
    await other.c.next('workshop', (m) => m.workshop.shared === null);
    instructor.send({ type: 'unlook', workshop: workshop.id, attendee: ada.joined.attendee });
    await ada.c.next('look', (m) => !m.on);
    other.c.ws.close();
  });

  test('an experiment’s result reaches the console; a result that is not a number is refused', async () => {
    ada.c.send({ type: 'result', lesson: 'async-tasks', experiment: 'jobs-per-second', label: 'Jobs per second, concurrency 8', value: 412.5, unit: 'jobs/s' });
    const got = await instructor.next('attendee', (m) => 'async-tasks/jobs-per-second' in m.attendee.results);
    assert.deepEqual({ ...got.attendee.results['async-tasks/jobs-per-second'], at: 0 }, { label: 'Jobs per second, concurrency 8', value: 412.5, unit: 'jobs/s', at: 0 });
    ada.c.send({ type: 'result', lesson: 'async-tasks', experiment: 'jobs-per-second', label: 'x', value: 'fast', unit: 'jobs/s' });
    assert.match((await ada.c.next('error')).message, /^refused: value:/);
  });

  test('a second tab of the same attendee is the same row, not a new one', async () => {
    const tab = await connect(hub.port, { type: 'hello', role: 'attendee', workshop: workshop.id, attendee: ada.joined.attendee, secret: ada.joined.secret });
    await tab.next('welcome');
    tab.send({ type: 'edit', lesson: 'async-tasks', step: 'retries-with-backoff' });
    await instructor.next('attendee', (m) => m.attendee.step === 'retries-with-backoff');
    instructor.send({ type: 'open', workshop: workshop.id });
    assert.deepEqual((await instructor.next('console')).attendees.map((a) => a.name), ['Ada', 'Other']);
    tab.ws.close();
  });

  test('wrong secrets, garbage, unknown steps and oversized messages are refused in words; the hub goes on', async () => {
    const impostor = await connect(hub.port, { type: 'hello', role: 'instructor', secret: 'guess' });
    assert.match((await impostor.next('error')).message, /not the instructor’s link/);
    assert.equal(await impostor.closed, 4000);
    const thief = await connect(hub.port, { type: 'hello', role: 'attendee', workshop: workshop.id, attendee: ada.joined.attendee, secret: 'guess' });
    assert.match((await thief.next('error')).message, /not known to the hub/);
    const nobody = await connect(hub.port, { type: 'hello', role: 'join', code: 'ZZZZZZ', name: 'X' });
    assert.match((await nobody.next('error')).message, /no workshop has the code ZZZZZZ/);
    const noname = await connect(hub.port, { type: 'hello', role: 'join', code: workshop.code, name: '   ' });
    assert.match((await noname.next('error')).message, /your name is empty/);

    ada.c.send('{not json');
    assert.match((await ada.c.next('error')).message, /not JSON/);
    ada.c.send({ type: 'check', lesson: 'async-tasks', step: 'make-it-async', ok: 'yes' });
    assert.match((await ada.c.next('error')).message, /^refused: ok:/);
    ada.c.send({ type: 'step', lesson: 'async-tasks', step: 'invented' });
    assert.match((await ada.c.next('error')).message, /no step async-tasks\/invented/);
    ada.c.send({ type: 'note', kind: 'help', text: 'x'.repeat(20_000) });
    assert.match((await ada.c.next('error')).message, /message too large: at most 16 KB/);
    ada.c.send({ type: 'note', kind: 'help', text: 'y'.repeat(300) });
    assert.match((await ada.c.next('error')).message, /the note is at most 280 characters/);
    ada.c.send({ type: 'follow', workshop: workshop.id, lesson: 'async-tasks', step: 'make-it-async' });
    assert.match((await ada.c.next('error')).message, /refused/, 'an attendee cannot act as the instructor');
    ada.c.send({ type: 'ping' });
    await ada.c.next('pong');
    assert.ok(logs.some((l) => /not JSON/.test(l)), 'a malformed message is logged');
  });

  test('a flood from one attendee is cut to the rate, with a message', async () => {
    for (let i = 0; i < 120; i++) ada.c.send({ type: 'ping' });
    assert.match((await ada.c.next('error')).message, /too many messages: at most 10 a second/);
    const pongs = () => ada.c.messages.filter((m) => m.type === 'pong').length;
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(pongs() < 120, `only part of the flood was answered (${pongs()})`);
  });

  test('a WebSocket from a foreign origin is refused; the hub’s own and loopback origins are not', async () => {
    await assert.rejects(connect(hub.port, null, 'https://evil.example'), /refused with 403/);
    (await connect(hub.port, null, `http://127.0.0.1:${hub.port}`)).ws.close();
    (await connect(hub.port, null, 'http://localhost:4321')).ws.close(); // an attendee's own npm start
  });

  test('the CSV export needs the instructor’s secret and keeps names as text', async () => {
    const evil = await joinAs(hub.port, workshop, '=HYPERLINK("x")');
    evil.c.ws.close();
    const url = `http://127.0.0.1:${hub.port}/api/workshop/${workshop.id}/progress.csv`;
    assert.equal((await fetch(url)).status, 401);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${hub.secret}` } });
    assert.equal(res.status, 200);
    const csv = await res.text();
    const lines = csv.trim().split('\r\n');
    assert.match(lines[0]!, /^name,joined,lesson,step,time on step,stuck,note,note text,async-tasks\/make-it-async,async-tasks\/retries-with-backoff$/);
    assert.match(lines[1]!, /^Ada,.*,async-tasks,retries-with-backoff,.*,passed,editing$/);
    assert.equal(lines.length, 4);
    assert.match(lines[3]!, /^"'=HYPERLINK\(""x""\)",/);
  });

  test('a restart on the same file loses nothing: the same instructor link, workshops, attendees and their secrets', async () => {
    const secret = hub.secret;
    await hub.close();
    await store.close();
    store = openSqliteStore(db);
    hub = await createHub({ store, dist });
    assert.equal(hub.secret, secret);
    const again = await connect(hub.port, { type: 'hello', role: 'instructor', secret });
    assert.deepEqual((await again.next('workshops')).workshops.map((w) => w.code), [workshop.code]);
    again.send({ type: 'open', workshop: workshop.id });
    const view = await again.next('console');
    const a = view.attendees.find((x: AttendeeView) => x.name === 'Ada')!;
    assert.equal(a.steps['async-tasks/make-it-async']?.state, 'passed');
    assert.equal(view.workshop.follow?.step, 'retries-with-backoff');
    const back = await connect(hub.port, { type: 'hello', role: 'attendee', workshop: workshop.id, attendee: ada.joined.attendee, secret: ada.joined.secret });
    assert.equal((await back.next('welcome')).me.name, 'Ada');
    instructor = again;
    ada.c = back;
  });

  test('an ended workshop is read-only and takes no one new', async () => {
    instructor.send({ type: 'end', workshop: workshop.id });
    await ada.c.next('workshop', (m) => m.workshop.ended);
    ada.c.send({ type: 'note', kind: 'done' });
    assert.match((await ada.c.next('error')).message, /has ended: it is read-only/);
    const late = await connect(hub.port, { type: 'hello', role: 'join', code: workshop.code, name: 'Late' });
    assert.match((await late.next('error')).message, /has ended/);
  });
});

describe('two hubs on one Redis', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => redis?.stop());

  test('an attendee on one hub shows up live on a console served by the other', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const [sa, sb] = [await openRedisStore(url), await openRedisStore(url)];
    const a = await createHub({ store: sa, dist });
    const b = await createHub({ store: sb, dist });
    try {
      assert.equal(a.secret, b.secret, 'both hubs share the instructor’s secret kept in Redis');
      const { instructor, workshop } = await setup(b);
      const grace = await joinAs(a.port, workshop, 'Grace');
      await instructor.next('attendee', (m) => m.attendee.name === 'Grace');
      grace.c.send({ type: 'check', lesson: 'async-tasks', step: 'make-it-async', ok: false, reason: 'no job queued' });
      const seen = await instructor.next('attendee', (m) => m.attendee.steps['async-tasks/make-it-async']?.state === 'failed');
      assert.equal(seen.attendee.steps['async-tasks/make-it-async']?.lastReason, 'no job queued');
      instructor.send({ type: 'follow', workshop: workshop.id, lesson: 'async-tasks', step: 'make-it-async' });
      await grace.c.next('workshop', (m) => m.workshop.follow?.step === 'make-it-async');
    } finally {
      await a.close();
      await b.close();
      await sa.close();
      await sb.close();
    }
  });

  test('the join limits hold across both hubs: a burst spread over them is refused past the limit, per address and per workshop', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const [sa, sb] = [await openRedisStore(url, 'limits:'), await openRedisStore(url, 'limits:')];
    const joinLimits = { address: { burst: 3, perMinute: 6 }, workshop: { burst: 5, perMinute: 6 } };
    const a = await createHub({ store: sa, dist, joinLimits });
    const b = await createHub({ store: sb, dist, joinLimits });
    try {
      const { workshop } = await setup(a);
      await joinAs(a.port, workshop, 'Bot 0', '127.0.0.31');
      await joinAs(b.port, workshop, 'Bot 1', '127.0.0.31');
      await joinAs(a.port, workshop, 'Bot 2', '127.0.0.31');
      const fourth = await connect(b.port, { type: 'hello', role: 'join', code: workshop.code, name: 'Bot 3' }, undefined, '127.0.0.31');
      assert.match((await fourth.next('error')).message, /^too many joins from your network: at most 3 at once/, 'the other hub knows this address used its burst');
      await joinAs(b.port, workshop, 'Grace', '127.0.0.32');
      await joinAs(a.port, workshop, 'Linus', '127.0.0.33');
      const sixth = await connect(b.port, { type: 'hello', role: 'join', code: workshop.code, name: 'Ada' }, undefined, '127.0.0.34');
      assert.match((await sixth.next('error')).message, /^too many people are joining this workshop at once: at most 5/);
    } finally {
      await a.close();
      await b.close();
      await sa.close();
      await sb.close();
    }
  });

  test('one attendee’s message rate holds across both hubs: events through hub A and hub B together are refused past the limit', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const [sa, sb] = [await openRedisStore(url, 'rate:'), await openRedisStore(url, 'rate:')];
    let t = 5_000_000; // both hubs' clock, still unless the test moves it: no token comes back meanwhile
    const a = await createHub({ store: sa, dist, now: () => t });
    const b = await createHub({ store: sb, dist, now: () => t });
    try {
      const { instructor, workshop } = await setup(b);
      const grace = await joinAs(a.port, workshop, 'Grace');
      const tabB = await connect(b.port, { type: 'hello', role: 'attendee', workshop: workshop.id, attendee: grace.joined.attendee, secret: grace.joined.secret });
      await tabB.next('welcome');
      // What the console has seen of Grace's Checks, in order.
      const reasons = () => instructor.messages.flatMap((m) => (m.type === 'attendee' && m.attendee.id === grace.joined.attendee ? [m.attendee.steps['async-tasks/make-it-async']] : [])).filter((p) => p !== undefined);
      const until = async (ok: () => boolean, what: string) => {
        for (const end = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`${what}; the console saw ${JSON.stringify(reasons().map((p) => p.lastReason))}`);
      };
      const check = (tab: Client, reason: string) => tab.send({ type: 'check', lesson: 'async-tasks', step: 'make-it-async', ok: false, reason });
      // The whole burst, half through each hub: each hub alone has seen only half of it.
      for (let i = 0; i < LIMITS.burst; i++) check(i % 2 ? tabB : grace.c, `event ${i}`);
      await until(() => reasons().length === LIMITS.burst, `the console did not see all ${LIMITS.burst} events of the burst`);
      check(grace.c, 'over, through hub A');
      check(tabB, 'over, through hub B');
      const dropped = /^too many messages: at most 10 a second \(bursts of 40\); the extra ones were dropped$/;
      assert.match((await grace.c.next('error')).message, dropped);
      assert.match((await tabB.next('error')).message, dropped);
      t += 1000; // a second later: ten tokens are back
      check(tabB, 'a second later');
      await until(() => reasons().some((p) => p.lastReason === 'a second later'), 'an event a second later did not reach the console');
      assert.equal(reasons().length, LIMITS.burst + 1, 'the console saw the burst and the event a second later, nothing else');
      assert.equal(reasons().at(-1)!.fails, LIMITS.burst + 1, 'the refused Checks were not counted');
      assert.ok(!reasons().some((p) => p.lastReason.startsWith('over')));
    } finally {
      await a.close();
      await b.close();
      await sa.close();
      await sb.close();
    }
  });

  test('a hub killed while its console looks at an attendee: the other hub stops relaying that attendee’s files', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const sa = await openRedisStore(url);
    const a = await createHub({ store: sa, dist });
    // The instructor's hub is a process of its own, to be killed without a word to anyone.
    const child = spawn(process.execPath, ['workshop/cli.ts', '--no-build', '--dist', dist, '--redis-url', url, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => child.once('exit', r));
    // Whatever a hub publishes, as Redis carries it.
    const watcher = await openRedisStore(url);
    const relayed: string[] = [];
    watcher.subscribe((m) => m.type === 'files' && relayed.push(m.files['server.ts']!));
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the hub did not start: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /localhost:(\d+)\/workshop\//.exec(out);
          if (m) (clearTimeout(timer), resolve(Number(m[1])));
        });
      });
      const { instructor, workshop } = await setup({ port, secret: a.secret, close: async () => {} });
      const grace = await joinAs(a.port, workshop, 'Grace');
      instructor.send({ type: 'look', workshop: workshop.id, attendee: grace.joined.attendee });
      await grace.c.next('look', (m) => m.on);
      grace.c.send({ type: 'files', lesson: 'async-tasks', step: 'make-it-async', files: { 'server.ts': 'while looked at' } });
      await instructor.next('files', (m) => m.files['server.ts'] === 'while looked at');

      child.kill('SIGKILL');
      await exited;
      // Grace's hub stops hearing the dead hub's heartbeat, and tells her the look is over.
      await grace.c.next('look', (m) => !m.on, 20_000);
      grace.c.send({ type: 'files', lesson: 'async-tasks', step: 'make-it-async', files: { 'server.ts': 'after the hub died' } });
      grace.c.send({ type: 'ping' });
      await grace.c.next('pong');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(relayed, ['while looked at'], 'nothing is relayed once the looking hub is gone');
    } finally {
      child.kill('SIGKILL');
      await a.close();
      await sa.close();
      await watcher.close();
    }
  });
});

describe('joins are rate-limited per address and per workshop', () => {
  let store: WorkshopStore;
  let hub: Hub;
  let t = 1_000_000; // the hub's clock, moved by the test
  const logs: string[] = [];
  before(async () => {
    store = openSqliteStore(join(dir, 'joins.db'));
    hub = await createHub({ store, dist, now: () => t, log: (l) => logs.push(l), joinLimits: { address: { burst: 3, perMinute: 6 }, workshop: { burst: 5, perMinute: 6 } } });
  });
  after(async () => {
    await hub?.close();
    await store?.close();
  });
  const refusal = async (c: Client) => {
    const error = await c.next('error');
    assert.equal(await c.closed, 4000);
    return error.message;
  };

  test('past the burst, one address is refused in words (a wrong code counts too); another address still joins; later the first joins again', async () => {
    const { instructor, workshop } = await setup(hub);
    for (let i = 0; i < 2; i++) await joinAs(hub.port, workshop, `Bot ${i}`);
    const guess = await connect(hub.port, { type: 'hello', role: 'join', code: 'AAAAAA', name: 'Bot' });
    assert.match(await refusal(guess), /no workshop has the code AAAAAA/);
    const fourth = await connect(hub.port, { type: 'hello', role: 'join', code: workshop.code, name: 'Bot 3' });
    assert.equal(await refusal(fourth), 'too many joins from your network: at most 3 at once, then 6 a minute. Try again in 10 s');
    assert.ok(logs.some((l) => /refused a join from 127\.0\.0\.1: too many joins/.test(l)), 'the refusal is logged');
    await joinAs(hub.port, workshop, 'Grace', '127.0.0.2');
    // Through a reverse proxy on the hub's machine: the address the proxy forwards is the one counted.
    const proxied = await connect(hub.port, { type: 'hello', role: 'join', code: workshop.code, name: 'Linus' }, undefined, undefined, { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' });
    await proxied.next('welcome'); // 127.0.0.1's own joins are used up: this one counted as 203.0.113.7
    t += 10_000;
    await joinAs(hub.port, workshop, 'Bot 3');
    instructor.send({ type: 'open', workshop: workshop.id });
    const { attendees } = await instructor.next('console');
    assert.deepEqual(attendees.map((a) => a.name).sort(), ['Bot 0', 'Bot 1', 'Bot 3', 'Grace', 'Linus'], 'the refused ones are not in the class');
  });

  test('IPv6 clients are counted by their /64: other addresses of one network share its joins, another network has its own', async () => {
    const { workshop } = await setup(hub);
    const via = (address: string, name: string) => connect(hub.port, { type: 'hello', role: 'join', code: workshop.code, name }, undefined, undefined, { 'x-forwarded-for': address });
    for (const [i, address] of ['2001:db8:7:1::a', '2001:db8:7:1:ffff::b', '2001:0db8:0007:0001::c'].entries()) await (await via(address, `Bot ${i}`)).next('welcome');
    assert.match(await refusal(await via('2001:db8:7:1::d', 'Bot 3')), /^too many joins from your network/);
    await (await via('2001:db8:7:2::a', 'Grace')).next('welcome');
  });

  test('past the burst, one workshop refuses joins from any address, in words; another workshop still takes them', async () => {
    const { instructor, workshop } = await setup(hub);
    for (let i = 0; i < 5; i++) await joinAs(hub.port, workshop, `Bot ${i}`, `127.0.0.${10 + i}`);
    const sixth = await connect(hub.port, { type: 'hello', role: 'join', code: workshop.code, name: 'Bot 5' }, undefined, '127.0.0.20');
    assert.equal(await refusal(sixth), 'too many people are joining this workshop at once: at most 5, then 6 a minute. Try again in 10 s');
    instructor.send({ type: 'create', title: 'Another class', lessons: ['async-tasks'] });
    const other = (await instructor.next('console')).workshop;
    await joinAs(hub.port, other, 'Bot 5', '127.0.0.20');
    instructor.send({ type: 'open', workshop: workshop.id });
    assert.equal((await instructor.next('console')).attendees.length, 5);
  });
});

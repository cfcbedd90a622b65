// The workshop hub: serves the built course (with the isolation headers, so attendees'
// sandboxes run in their own browser), the workshop's WebSocket and its CSV export. It never
// runs anyone's code: it only records what attendees' workbenches report and relays what the
// instructor decides. Every change goes to the store before it is fanned out, so a restarted
// hub has it all, and clients reconnect by themselves and say hello again.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { isLoopbackHost, tokenEquals } from '../runner/auth.ts';
import { isolationHeaders, refuseUpgrade, sendJson } from '../runner/http.ts';
import { createStaticSite } from '../runner/static.ts';
import { applyEvent } from './progress.ts';
import { progressCsv } from './csv.ts';
import {
  AttendeeEvent,
  Hello,
  InstructorCommand,
  LIMITS,
  describeIssue,
  publicAttendee,
  type Attendee,
  type Broadcast,
  type HubMessage,
  type Workshop,
} from './schema.ts';
import { CodeTaken, type WorkshopStore } from './store/types.ts';

export const WS_PATH = '/api/workshop/ws';
export const JOIN_INFO_PATH = '/api/workshop/join/';
export const CSV_PATH = /^\/api\/workshop\/([a-z0-9-]+)\/progress\.csv$/;
/** Larger messages are closed by ws itself (1009); up to this size the hub answers in words. */
const HARD_PAYLOAD = 1024 * 1024;
const HELLO_TIMEOUT_MS = 10_000;
export const MAX_ATTENDEES = 500;
/**
 * Joins allowed per client address and per workshop: a burst, then so many a minute. A class
 * behind one school router shares an address, so that limit is generous; what it stops is a
 * script filling a class with made-up attendees (or guessing codes).
 */
export const JOIN_LIMITS = { address: { burst: 50, perMinute: 30 }, workshop: { burst: 200, perMinute: 120 } };
export type JoinLimits = typeof JOIN_LIMITS;

export interface Course {
  lessons: { id: string; title: string; steps: { id: string; title: string }[] }[];
}

export interface HubOptions {
  store: WorkshopStore;
  dist: string;
  port?: number;
  host?: string;
  /** The instructor's secret; by default the one kept in the store (made on the first start). */
  secret?: string;
  /** Origins besides the hub's own and loopback (attendees' own `npm start`) allowed on the WebSocket. */
  origins?: string[];
  log?: (line: string) => void;
  now?: () => number;
  /** Joins allowed per address and per workshop (JOIN_LIMITS by default). */
  joinLimits?: JoinLimits;
}

export interface Hub {
  port: number;
  secret: string;
  close(): Promise<void>;
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const newCode = () => Array.from({ length: 6 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
const newId = () => randomBytes(8).toString('hex');
export const newSecret = () => randomBytes(24).toString('base64url');
const hash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** The lessons and steps the built site has (dist/workshop/course.json), or null to accept any ids. */
export function readCourse(dist: string): Course | null {
  try {
    return JSON.parse(readFileSync(join(dist, 'workshop', 'course.json'), 'utf8')) as Course;
  } catch {
    return null;
  }
}

/**
 * Token buckets by key (messages per attendee, joins per address and per workshop): `take` spends
 * a token, or answers in how many seconds one is back. Full buckets are forgotten now and then,
 * so many passing addresses cost no memory.
 */
function tokenBuckets(burst: number, perSecond: number, now: () => number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const fill = (b: { tokens: number; at: number }, t: number) => Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
  return {
    take(key: string): number {
      const t = now();
      if (buckets.size > 10_000) for (const [k, b] of buckets) if (fill(b, t) >= burst) buckets.delete(k);
      const b = buckets.get(key) ?? { tokens: burst, at: t };
      b.tokens = fill(b, t);
      b.at = t;
      buckets.set(key, b);
      if (b.tokens >= 1) return (b.tokens -= 1), 0;
      return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
    },
  };
}

/**
 * The client's address: the socket's peer, or, when the peer is a reverse proxy on this machine
 * (the README's Caddy or nginx), the address that proxy appended to X-Forwarded-For. A remote
 * peer's header is never believed.
 */
export function clientAddress(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? '?';
  const forwarded = req.headers['x-forwarded-for'];
  if (!forwarded || !isLoopbackHost(peer)) return peer;
  const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',').at(-1)!.trim();
  return last || peer;
}

interface Conn {
  ws: WebSocket;
  /** The client's address, as the hub's socket sees it. */
  address: string;
  role: 'none' | 'instructor' | 'attendee';
  /** Instructor: the workshop open on this console. Attendee: their workshop. */
  workshop: string | null;
  attendee: string | null;
  label: string;
  /** Instructor: the attendees whose files this console is looking at. */
  looking: Set<string>;
}

export async function createHub(options: HubOptions): Promise<Hub> {
  const { store } = options;
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const secret = options.secret ?? (await store.setting('instructor-secret', newSecret()));
  const course = readCourse(options.dist);
  const site = createStaticSite(options.dist, ''); // no runner token: this server runs nothing
  const conns = new Set<Conn>();
  /** One change at a time per attendee, so two quick events never overwrite each other. */
  const queues = new Map<string, Promise<unknown>>();
  const messages = tokenBuckets(LIMITS.burst, LIMITS.ratePerSecond, now);
  /** When each sender was last told its messages were dropped: once a second at most. */
  const warned = new Map<string, number>();
  /** How many consoles (on any instance) look at each attendee's files: only then are files relayed. */
  const looks = new Map<string, number>();
  const joinLimits = options.joinLimits ?? JOIN_LIMITS;
  const joinsByAddress = tokenBuckets(joinLimits.address.burst, joinLimits.address.perMinute / 60, now);
  const joinsByWorkshop = tokenBuckets(joinLimits.workshop.burst, joinLimits.workshop.perMinute / 60, now);

  const sendText = (c: Conn, text: string) => {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(text);
  };
  const send = (c: Conn, m: HubMessage) => sendText(c, JSON.stringify(m));
  const refuse = (c: Conn, message: string, fatal = false) => {
    send(c, { type: 'error', message, fatal });
    if (fatal) c.ws.close(4000, message.slice(0, 120));
  };

  const knownStep = (lesson: string, step?: string): boolean => {
    if (!course) return true;
    const l = course.lessons.find((x) => x.id === lesson);
    return !!l && (step === undefined || l.steps.some((s) => s.id === step));
  };

  // ---- fan-out from every instance on the store --------------------------------------
  const unsubscribe = store.subscribe((m: Broadcast) => {
    if (m.type === 'look') {
      const n = Math.max(0, (looks.get(m.attendee) ?? 0) + (m.on ? 1 : -1));
      if (n) looks.set(m.attendee, n);
      else looks.delete(m.attendee);
      for (const c of conns) if (c.role === 'attendee' && c.attendee === m.attendee) send(c, { type: 'look', on: n > 0 });
      return;
    }
    // Serialized once, however many sockets it goes to.
    const text = JSON.stringify(m);
    if (m.type === 'files') {
      for (const c of conns) if (c.role === 'instructor' && c.workshop === m.workshop && c.looking.has(m.attendee)) sendText(c, text);
      return;
    }
    for (const c of conns) {
      if (m.type === 'attendee') {
        if ((c.role === 'instructor' && c.workshop === m.workshop) || (c.role === 'attendee' && c.attendee === m.attendee.id)) sendText(c, text);
      } else if (c.role === 'instructor' || c.workshop === m.workshop.id) {
        sendText(c, text);
      }
    }
  });

  function serial<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = queues.get(key) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => {});
    queues.set(key, tail);
    void tail.then(() => queues.get(key) === tail && queues.delete(key));
    return next;
  }

  async function changeWorkshop(id: string, change: (w: Workshop) => Workshop): Promise<Workshop | null> {
    return serial(`w:${id}`, async () => {
      let changed = false;
      const next = await store.updateWorkshop(id, (w) => ((changed = true), change(w)));
      if (next && changed) await store.publish({ type: 'workshop', workshop: next });
      return next;
    });
  }

  async function changeAttendee(id: string, change: (a: Attendee) => Attendee | null): Promise<Attendee | null> {
    return serial(`a:${id}`, async () => {
      let changed = false;
      const next = await store.updateAttendee(id, (a) => {
        const n = change(a);
        changed = n !== null;
        return n;
      });
      if (next && changed) await store.publish({ type: 'attendee', workshop: next.workshop, attendee: publicAttendee(next) });
      return next;
    });
  }

  /** Token bucket per attendee (shared by their tabs) or per instructor socket. */
  function allowed(c: Conn): boolean {
    const key = c.attendee ?? c.label;
    if (!messages.take(key)) return true;
    const t = now();
    if (t - (warned.get(key) ?? 0) > 1000) {
      warned.set(key, t);
      refuse(c, `too many messages: at most ${LIMITS.ratePerSecond} a second (bursts of ${LIMITS.burst}); the extra ones were dropped`);
    }
    return false;
  }

  // ---- the three kinds of hello ------------------------------------------------------
  async function hello(c: Conn, h: Hello): Promise<void> {
    if (h.role === 'instructor') {
      if (!tokenEquals(h.secret, secret)) return refuse(c, 'this is not the instructor’s link: open the one `npm run workshop` printed', true);
      c.role = 'instructor';
      c.label = 'instructor';
      send(c, { type: 'workshops', workshops: await store.workshops() });
      return;
    }
    let attendee: Attendee | null;
    let workshop: Workshop | null;
    if (h.role === 'join') {
      // Counted before the code is looked up: guessing codes is slowed down too.
      const wait = joinsByAddress.take(c.address);
      if (wait) {
        log(`workshop: refused a join from ${c.address}: too many joins from this address`);
        const { burst, perMinute } = joinLimits.address;
        return refuse(c, `too many joins from your network: at most ${burst} at once, then ${perMinute} a minute. Try again in ${wait} s`, true);
      }
      workshop = await store.workshopByCode(h.code);
      if (!workshop) return refuse(c, `no workshop has the code ${h.code}: check it with your instructor`, true);
      if (workshop.ended) return refuse(c, `the workshop “${workshop.title}” has ended: it no longer takes new attendees`, true);
      if ((await store.attendees(workshop.id)).length >= MAX_ATTENDEES) return refuse(c, `the workshop is full (${MAX_ATTENDEES} attendees)`, true);
      const busy = joinsByWorkshop.take(workshop.id);
      if (busy) {
        log(`workshop ${workshop.code}: refused a join from ${c.address}: too many joins to this workshop`);
        const { burst, perMinute } = joinLimits.workshop;
        return refuse(c, `too many people are joining this workshop at once: at most ${burst}, then ${perMinute} a minute. Try again in ${busy} s`, true);
      }
      const mine = newSecret();
      const t = now();
      attendee = { id: newId(), workshop: workshop.id, name: h.name, secretHash: hash(mine), joinedAt: t, lastSeen: t, lesson: null, step: null, stepSince: null, steps: {}, note: null, runtime: null, results: {} };
      await store.saveAttendee(attendee);
      await store.publish({ type: 'attendee', workshop: workshop.id, attendee: publicAttendee(attendee) });
      log(`workshop ${workshop.code}: ${JSON.stringify(h.name)} joined`);
      send(c, { type: 'joined', workshop: workshop.id, attendee: attendee.id, secret: mine });
    } else {
      attendee = await store.attendee(h.attendee);
      // The same answer whether the attendee is unknown or the secret is wrong.
      if (!attendee || attendee.workshop !== h.workshop || !tokenEquals(hash(h.secret), attendee.secretHash))
        return refuse(c, 'this browser’s place in the workshop is not known to the hub: join again with the code', true);
      workshop = await store.workshop(attendee.workshop);
      if (!workshop) return refuse(c, 'this workshop no longer exists', true);
    }
    c.role = 'attendee';
    c.attendee = attendee.id;
    c.workshop = workshop.id;
    c.label = `attendee ${attendee.id}`;
    send(c, { type: 'welcome', workshop, me: publicAttendee(attendee) });
    if (looks.get(attendee.id)) send(c, { type: 'look', on: true });
  }

  async function attendeeEvent(c: Conn, e: AttendeeEvent): Promise<void> {
    if (e.type === 'result' && !knownStep(e.lesson)) return refuse(c, `there is no lesson ${e.lesson} in this course`);
    if (e.type !== 'ping' && e.type !== 'note' && e.type !== 'result' && !knownStep(e.lesson, e.step)) return refuse(c, `there is no step ${e.lesson}/${e.step} in this course`);
    const w = await store.workshop(c.workshop!);
    if (!w) return refuse(c, 'this workshop no longer exists', true);
    if (w.ended && e.type !== 'ping') return refuse(c, 'the workshop has ended: it is read-only now');
    if (e.type === 'files') {
      // Only while an instructor looks; never stored, never sent to another attendee.
      if (looks.get(c.attendee!)) await store.publish({ type: 'files', workshop: w.id, attendee: c.attendee!, lesson: e.lesson, step: e.step, files: e.files });
      return;
    }
    if (e.type === 'ping') {
      send(c, { type: 'pong' });
      // Presence is "seen lately": refreshed now and then, not on every ping.
      await changeAttendee(c.attendee!, (a) => (now() - a.lastSeen > 20_000 ? { ...a, lastSeen: now() } : null));
      return;
    }
    await changeAttendee(c.attendee!, (a) => applyEvent(a, e, now()));
  }

  async function instructorCommand(c: Conn, m: InstructorCommand): Promise<void> {
    if (m.type === 'ping') return send(c, { type: 'pong' });
    if (m.type === 'create') {
      const unknown = m.lessons.filter((l) => !knownStep(l));
      if (unknown.length) return refuse(c, `there is no lesson ${unknown.join(', ')} in this course`);
      for (let attempt = 0; ; attempt++) {
        const w: Workshop = { id: newId(), code: newCode(), title: m.title, lessons: m.lessons, createdAt: now(), endsAt: m.endsAt ?? null, ended: false, follow: null, pace: null, broadcast: null, shared: null };
        try {
          await store.createWorkshop(w);
        } catch (e) {
          if (e instanceof CodeTaken && attempt < 20) continue;
          throw e;
        }
        log(`workshop ${w.code} created: ${JSON.stringify(w.title)}`);
        await store.publish({ type: 'workshop', workshop: w });
        c.workshop = w.id;
        send(c, { type: 'console', workshop: w, attendees: [] });
        return;
      }
    }
    const w = await store.workshop(m.workshop);
    if (!w) return refuse(c, `there is no workshop ${m.workshop}`);
    if (m.type === 'open') {
      c.workshop = w.id;
      send(c, { type: 'console', workshop: w, attendees: (await store.attendees(w.id)).map(publicAttendee) });
      return;
    }
    if (w.ended) return refuse(c, 'the workshop has ended: it is read-only now');
    switch (m.type) {
      case 'follow':
        if (!w.lessons.includes(m.lesson) || !knownStep(m.lesson, m.step)) return refuse(c, `${m.lesson}/${m.step} is not a step of this workshop`);
        await changeWorkshop(w.id, (x) => ({ ...x, follow: { lesson: m.lesson, step: m.step, at: now() } }));
        return;
      case 'unfollow':
        await changeWorkshop(w.id, (x) => ({ ...x, follow: null }));
        return;
      case 'pace':
        await changeWorkshop(w.id, (x) => ({ ...x, pace: { label: m.label, endsAt: now() + m.seconds * 1000 } }));
        return;
      case 'unpace':
        await changeWorkshop(w.id, (x) => ({ ...x, pace: null }));
        return;
      case 'broadcast': {
        if (!m.text && !m.code) return refuse(c, 'the message is empty');
        const b = { id: newId(), text: m.text, code: m.code || null, path: m.code && m.path ? m.path : null, at: now() };
        await changeWorkshop(w.id, (x) => ({ ...x, broadcast: b }));
        return;
      }
      case 'unbroadcast':
        await changeWorkshop(w.id, (x) => ({ ...x, broadcast: null }));
        return;
      case 'look':
      case 'unlook': {
        const on = m.type === 'look';
        if (on === c.looking.has(m.attendee)) return;
        const a = await store.attendee(m.attendee);
        if (!a || a.workshop !== w.id) return refuse(c, 'no such attendee in this workshop');
        if (on) c.looking.add(m.attendee);
        else c.looking.delete(m.attendee);
        await store.publish({ type: 'look', workshop: w.id, attendee: m.attendee, on });
        return;
      }
      case 'share': {
        const a = await store.attendee(m.attendee);
        if (!a || a.workshop !== w.id) return refuse(c, 'no such attendee in this workshop');
        await changeWorkshop(w.id, (x) => ({ ...x, shared: { attendee: a.id, name: a.name, path: m.path, contents: m.contents, at: now() } }));
        return;
      }
      case 'unshare':
        await changeWorkshop(w.id, (x) => ({ ...x, shared: null }));
        return;
      case 'resolve':
        await changeAttendee(m.attendee, (a) => (a.workshop === w.id && a.note?.kind === 'help' ? { ...a, note: null } : null));
        return;
      case 'end':
        await changeWorkshop(w.id, (x) => ({ ...x, ended: true, follow: null, pace: null, broadcast: null, shared: null }));
        log(`workshop ${w.code} ended`);
        return;
    }
  }

  async function message(c: Conn, raw: string): Promise<void> {
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes > LIMITS.filesBytes) return refuse(c, `message too large: at most ${LIMITS.messageBytes / 1024} KB (${LIMITS.filesBytes / 1024} KB for a sandbox's files)`);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      log(`workshop: refused a message that is not JSON from ${c.label}`);
      return refuse(c, 'the message is not JSON');
    }
    if (bytes > LIMITS.messageBytes && !(c.role === 'attendee' && (value as { type?: unknown })?.type === 'files'))
      return refuse(c, `message too large: at most ${LIMITS.messageBytes / 1024} KB`);
    if (c.role === 'none') {
      const h = Hello.safeParse(value);
      if (!h.success) {
        log(`workshop: refused a hello from ${c.label}: ${describeIssue(h.error)}`);
        return refuse(c, describeIssue(h.error), true);
      }
      return hello(c, h.data);
    }
    if (!allowed(c)) return;
    const parsed = c.role === 'instructor' ? InstructorCommand.safeParse(value) : AttendeeEvent.safeParse(value);
    if (!parsed.success) {
      log(`workshop: refused a message from ${c.label}: ${describeIssue(parsed.error)}`);
      return refuse(c, `refused: ${describeIssue(parsed.error)}`);
    }
    if (c.role === 'instructor') await instructorCommand(c, parsed.data as InstructorCommand);
    else await attendeeEvent(c, parsed.data as AttendeeEvent);
  }

  // ---- HTTP ---------------------------------------------------------------------------
  const instructorAuth = (req: IncomingMessage) => {
    const header = req.headers.authorization ?? '';
    return header.startsWith('Bearer ') && tokenEquals(header.slice(7), secret);
  };

  async function http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    if (url.pathname.startsWith(JOIN_INFO_PATH)) {
      // What `npm start -- --workshop` checks before it prints its own join link.
      const w = await store.workshopByCode(url.pathname.slice(JOIN_INFO_PATH.length).toUpperCase());
      res.setHeader('Access-Control-Allow-Origin', '*');
      return w ? sendJson(res, 200, { title: w.title, code: w.code, ended: w.ended }) : sendJson(res, 404, { error: 'no workshop has this code' });
    }
    const csv = CSV_PATH.exec(url.pathname);
    if (csv) {
      if (!instructorAuth(req)) return sendJson(res, 401, { error: 'the CSV export needs the instructor’s secret' });
      const w = await store.workshop(csv[1]!);
      if (!w) return sendJson(res, 404, { error: 'no such workshop' });
      const body = Buffer.from(progressCsv(w, await store.attendees(w.id), course, now()), 'utf8');
      res.writeHead(200, {
        ...isolationHeaders,
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="workshop-${w.code}.csv"`,
        'Content-Length': body.length,
        'Cache-Control': 'no-store',
      });
      return void res.end(body);
    }
    if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { error: 'no such API' });
    await site.handle(req, res);
  }

  const server = createServer((req, res) => {
    http(req, res).catch((e: Error) => {
      log(`workshop: ${req.method} ${req.url}: ${e.stack ?? e.message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'the hub failed to answer; see its log' });
      else res.destroy();
    });
  });

  const allowedOrigins = new Set((options.origins ?? []).map((o) => new URL(o).origin));
  const originOk = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser (the benchmark, a test client)
    try {
      const u = new URL(origin);
      // The hub's own pages, attendees' own `npm start` (loopback), or origins named with --origin.
      return u.host.toLowerCase() === (req.headers.host ?? '').toLowerCase() || isLoopbackHost(u.hostname) || allowedOrigins.has(u.origin);
    } catch {
      return false;
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_PAYLOAD });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://hub.invalid').pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'no WebSocket here');
    if (!originOk(req)) {
      log(`workshop: refused a WebSocket from origin ${req.headers.origin}`);
      return refuseUpgrade(socket, 403, 'this origin may not use the workshop hub');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const address = clientAddress(req);
      const c: Conn = { ws, address, role: 'none', workshop: null, attendee: null, label: address, looking: new Set() };
      conns.add(c);
      const timer = setTimeout(() => c.role === 'none' && refuse(c, 'no hello within 10 s', true), HELLO_TIMEOUT_MS);
      // One message at a time per socket, in order.
      let chain = Promise.resolve();
      ws.on('message', (data, isBinary) => {
        if (isBinary) return refuse(c, 'binary messages are not understood: send JSON text');
        const raw = data.toString();
        chain = chain.then(() =>
          message(c, raw).catch((e: Error) => {
            log(`workshop: ${c.label}: ${e.stack ?? e.message}`);
            refuse(c, 'the hub could not handle that message; it is logged');
          }),
        );
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        clearTimeout(timer);
        conns.delete(c);
        // A console that goes away stops looking.
        for (const attendee of c.looking) void store.publish({ type: 'look', workshop: c.workshop!, attendee, on: false }).catch(() => {});
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => (server.off('error', reject), resolve()));
  });
  const port = (server.address() as { port: number }).port;

  return {
    port,
    secret,
    async close() {
      unsubscribe();
      for (const c of conns) c.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled([...queues.values()]);
    },
  };
}

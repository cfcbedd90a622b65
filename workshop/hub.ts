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
import { addressKey, memoryBuckets } from './limits.ts';
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
import { CodeTaken, Limited, type Spend, type WorkshopStore } from './store/types.ts';

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
  /**
   * How often this hub tells the others which attendees its consoles look at (ms). A hub not
   * heard from for four of these is taken for gone, and its looks end.
   */
  heartbeatMs?: number;
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
  // Messages are counted twice at the same rate. Here, per hub, before anything is read: so a
  // flood of garbage costs no round trip and no log line each. And in the store, per attendee,
  // by the write each event makes anyway: so tabs (or reconnects) spread over several hubs share
  // one allowance instead of having one on each.
  const messages = memoryBuckets();
  const messageRate = { burst: LIMITS.burst, perSecond: LIMITS.ratePerSecond };
  const spendFor = (attendee: string): Spend => ({ bucket: `message:${attendee}`, rate: messageRate, now: now() });
  /** When each sender was last told its messages were dropped: once a second at most. */
  const warned = new Map<string, number>();
  const joinLimits = options.joinLimits ?? JOIN_LIMITS;
  // Joins are counted in the store, so hubs sharing one allow a burst once, not once each.
  const joinRate = { address: { burst: joinLimits.address.burst, perSecond: joinLimits.address.perMinute / 60 }, workshop: { burst: joinLimits.workshop.burst, perSecond: joinLimits.workshop.perMinute / 60 } };
  /**
   * The workshops as this hub last saw them (kept fresh by the fan-out): an attendee's event
   * needs its workshop, and a read from a shared store per event is a round trip each.
   */
  const workshops = new Map<string, Workshop>();
  const workshopOf = async (id: string): Promise<Workshop | null> => {
    const known = workshops.get(id);
    if (known) return known;
    const w = await store.workshop(id);
    if (w) workshops.set(id, w);
    return w;
  };

  // ---- looking at attendees' files, across hubs ----------------------------------------
  // Each hub says which attendees its consoles look at, when that changes and on a heartbeat;
  // a hub not heard from for a while (killed, cut off) is forgotten, so its looks end and the
  // attendees' files stop flowing. Files are relayed only while some live hub looks.
  const hubId = newId();
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const looksByHub = new Map<string, { attendees: Set<string>; heard: number }>();
  const looked = (attendee: string) => [...looksByHub.values()].some((h) => h.attendees.has(attendee));
  const myLooks = () => {
    const mine = new Set<string>();
    for (const c of conns) for (const a of c.looking) mine.add(a);
    return [...mine];
  };
  /** Runs `change` on the looks, then tells this hub's attendees whose "looked at" flipped. */
  const changeLooks = (change: () => void) => {
    const before = new Set([...looksByHub.values()].flatMap((h) => [...h.attendees]));
    change();
    for (const c of conns) {
      if (c.role !== 'attendee' || !c.attendee) continue;
      const on = looked(c.attendee);
      if (on !== before.has(c.attendee)) send(c, { type: 'look', on });
    }
  };
  let lastSaid = '';
  const sayLooks = (force: boolean) => {
    const attendees = myLooks();
    const said = attendees.sort().join(',');
    // Nothing to say while nobody here looks, once the others know it.
    if (!force && !said && !lastSaid) return;
    lastSaid = said;
    void store.publish({ type: 'looks', hub: hubId, attendees }).catch((e: Error) => log(`workshop: could not tell other hubs about looks: ${e.message}`));
  };
  const heartbeat = setInterval(() => {
    sayLooks(false);
    const t = performance.now();
    changeLooks(() => {
      for (const [id, h] of looksByHub) if (id !== hubId && t - h.heard > 4 * heartbeatMs) looksByHub.delete(id);
    });
  }, heartbeatMs);
  heartbeat.unref();

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
  const unsubscribe = store.subscribe((m: Broadcast, text: string) => {
    if (m.type === 'looks') {
      changeLooks(() => {
        if (m.attendees.length) looksByHub.set(m.hub, { attendees: new Set(m.attendees), heard: performance.now() });
        else looksByHub.delete(m.hub);
      });
      return;
    }
    if (m.type === 'workshop') workshops.set(m.workshop.id, m.workshop);
    // Serialized once, by the store, however many sockets it goes to.
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
      return store.updateWorkshop(id, change, (w) => ({ type: 'workshop', workshop: w }));
    });
  }

  /** `spend`: the attendee's own event, counted against their message rate in the same step. */
  async function changeAttendee(id: string, change: (a: Attendee) => Attendee | null, spend?: Spend): Promise<Attendee | null> {
    return serial(`a:${id}`, async () => {
      return store.updateAttendee(id, change, (a) => ({ type: 'attendee', workshop: a.workshop, attendee: publicAttendee(a) }), spend);
    });
  }

  /** Says the sender's messages are being dropped: once a second at most. */
  function dropped(c: Conn, key: string): void {
    const t = now();
    if (t - (warned.get(key) ?? 0) > 1000) {
      warned.set(key, t);
      refuse(c, `too many messages: at most ${LIMITS.ratePerSecond} a second (bursts of ${LIMITS.burst}); the extra ones were dropped`);
    }
  }

  /** This hub's token bucket per attendee (shared by their tabs here) or per instructor socket. */
  function allowed(c: Conn): boolean {
    const key = c.attendee ?? c.label;
    if (!messages.take(key, messageRate, now())) return true;
    dropped(c, key);
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
      const wait = await store.take(`join:address:${addressKey(c.address)}`, joinRate.address, now());
      if (wait) {
        log(`workshop: refused a join from ${c.address}: too many joins from this address`);
        const { burst, perMinute } = joinLimits.address;
        return refuse(c, `too many joins from your network: at most ${burst} at once, then ${perMinute} a minute. Try again in ${wait} s`, true);
      }
      workshop = await store.workshopByCode(h.code);
      if (!workshop) return refuse(c, `no workshop has the code ${h.code}: check it with your instructor`, true);
      if (workshop.ended) return refuse(c, `the workshop “${workshop.title}” has ended: it no longer takes new attendees`, true);
      if ((await store.attendeeCount(workshop.id)) >= MAX_ATTENDEES) return refuse(c, `the workshop is full (${MAX_ATTENDEES} attendees)`, true);
      const busy = await store.take(`join:workshop:${workshop.id}`, joinRate.workshop, now());
      if (busy) {
        log(`workshop ${workshop.code}: refused a join from ${c.address}: too many joins to this workshop`);
        const { burst, perMinute } = joinLimits.workshop;
        return refuse(c, `too many people are joining this workshop at once: at most ${burst}, then ${perMinute} a minute. Try again in ${busy} s`, true);
      }
      const mine = newSecret();
      const t = now();
      attendee = { id: newId(), workshop: workshop.id, name: h.name, secretHash: hash(mine), joinedAt: t, lastSeen: t, lesson: null, step: null, stepSince: null, steps: {}, note: null, runtime: null, results: {} };
      await store.saveAttendee(attendee, { type: 'attendee', workshop: workshop.id, attendee: publicAttendee(attendee) });
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
    if (looked(attendee.id)) send(c, { type: 'look', on: true });
  }

  async function attendeeEvent(c: Conn, e: AttendeeEvent): Promise<void> {
    if (e.type === 'result' && !knownStep(e.lesson)) return refuse(c, `there is no lesson ${e.lesson} in this course`);
    if (e.type !== 'ping' && e.type !== 'note' && e.type !== 'result' && !knownStep(e.lesson, e.step)) return refuse(c, `there is no step ${e.lesson}/${e.step} in this course`);
    const w = await workshopOf(c.workshop!);
    if (!w) return refuse(c, 'this workshop no longer exists', true);
    if (w.ended && e.type !== 'ping') return refuse(c, 'the workshop has ended: it is read-only now');
    const spend = spendFor(c.attendee!);
    try {
      if (e.type === 'files') {
        // Only while an instructor looks; never stored, never sent to another attendee. Rare
        // enough that its token may cost a round trip of its own.
        if (!looked(c.attendee!)) return;
        const wait = await store.take(spend.bucket, spend.rate, spend.now);
        if (wait) throw new Limited(wait);
        await store.publish({ type: 'files', workshop: w.id, attendee: c.attendee!, lesson: e.lesson, step: e.step, files: e.files });
        return;
      }
      if (e.type === 'ping') {
        send(c, { type: 'pong' });
        // Presence is "seen lately": refreshed now and then, not on every ping.
        await changeAttendee(c.attendee!, (a) => (now() - a.lastSeen > 20_000 ? { ...a, lastSeen: now() } : null), spend);
        return;
      }
      await changeAttendee(c.attendee!, (a) => applyEvent(a, e, now()), spend);
    } catch (error) {
      if (!(error instanceof Limited)) throw error;
      dropped(c, c.attendee!);
    }
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
    const w = await workshopOf(m.workshop);
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
        sayLooks(true);
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
        if (c.looking.size) sayLooks(true);
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
      clearInterval(heartbeat);
      for (const c of conns) c.looking.clear();
      sayLooks(true);
      unsubscribe();
      for (const c of conns) c.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled([...queues.values()]);
    },
  };
}

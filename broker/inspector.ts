// The broker inspector: an HTTP + WebSocket endpoint through which the browser workbench's
// "Broker" tab looks inside a running broker. The browser reaches sandbox ports only over
// HTTP/WebSocket, so this speaks JSON over WebSocket and talks RESP to the broker like any
// other client (each WebSocket gets its own broker connections, named hotpot-inspector).
//
// Protocol (JSON text frames):
//   → {"id": N, "type": "command", "line": "HGETALL k"}  ← {"id": N, "type": "reply", "text": "..."}
//       the line is split like redis-cli does; text is the reply as interactive redis-cli
//       prints it, without the final newline ("" for an empty line).
//   → {"type": "monitor", "on": true|false}  ← {"type": "monitor", "line": "<MONITOR line>"}
//       every command the broker runs, except the inspector's own.
//   → {"id": N, "type": "keys"}  ← {"id": N, "type": "keys", "keys": [...], "truncated": bool}
//   anything malformed ← {"type": "error", "message": "..."} (with "id" when the request had one)
//   the broker gone → the WebSocket closes with 1011 and a reason.
//
// Access: the WebSocket URL must carry the run's secret (`?secret=`), and a browser's Origin
// must be allowed (see InspectorOptions); otherwise it closes at once with 1008 and the reason.

import type { InspectorReply, KeyInfo } from '../engine/inspector.ts';
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { RespClient, type WireReply } from './resp/client.ts';
import { ErrorReply, NULL_ARRAY, Status } from './resp/reply.ts';
import { splitArgs } from './resp/parser.ts';
import { repr } from './util/repr.ts';

export interface InspectorOptions {
  /** The broker's port. */
  brokerPort: number;
  /** Address the inspector listens on, and the broker's address unless brokerHost is given. */
  host?: string;
  /** Port for the inspector (0 = any free port). */
  port: number;
  brokerHost?: string;
  /** The broker's requirepass, if any. */
  password?: string;
  /**
   * The run's secret: a WebSocket is served only when its URL carries `?secret=<this>`.
   * Any web page can guess a local port; only the workbench that started the run knows this.
   */
  secret: string;
  /**
   * Origins (`scheme://host[:port]`) whose pages may open the WebSocket. Default: loopback
   * origins (localhost, 127.0.0.0/8, [::1]) and the origin whose host is the request's Host.
   * A request without Origin (not a browser) passes this check; the secret still applies.
   */
  origins?: string[];
}

export interface Inspector {
  port: number;
  /**
   * Close every WebSocket (default 1001 "going away"; the CLI passes 1011 when the broker
   * stops) and the HTTP server. Waits up to 500 ms for the close handshakes.
   */
  close(code?: number, reason?: string): Promise<void>;
}

const CLIENT_NAME = 'hotpot-inspector';
const MAX_PAYLOAD = 64 * 1024;
const MAX_KEYS = 200;
/** Stop collecting key names past this many (the listing shows the first 200 by name). */
const MAX_SCANNED = 100_000;
const PREVIEW_ITEMS = 50;
const STRING_PREVIEW = 300;
/** Drop MONITOR lines while this much is waiting to go out to a slow browser. */
const MONITOR_BACKLOG = 4 * 1024 * 1024;

const REFUSED = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'monitor', 'sync', 'psync', 'quit']);
const BLOCKING = new Set(['blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'bzmpop']);

// ---------------------------------------------------------------------------
// redis-cli's output

/** cliFormatReplyTTY (redis-cli.c, 7.0): the interactive format, every line ending in "\n". */
export function formatReply(r: WireReply, prefix = ''): string {
  if (r instanceof ErrorReply) return `(error) ${utf8(r.msg)}\n`;
  if (r instanceof Status) return `${utf8(r.s)}\n`;
  if (typeof r === 'bigint') return `(integer) ${r}\n`;
  if (typeof r === 'string') return repr(r) + '\n';
  if (r === null || r === NULL_ARRAY) return '(nil)\n';
  if (Array.isArray(r)) {
    if (r.length === 0) return '(empty array)\n';
    const idxlen = String(r.length).length;
    const inner = prefix + ' '.repeat(idxlen + 2);
    let out = '';
    r.forEach((el, i) => {
      out += (i === 0 ? '' : prefix) + String(i + 1).padStart(idxlen) + ') ';
      out += formatReply(el as WireReply, inner);
    });
    return out;
  }
  return `${String(r)}\n`;
}

function utf8(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Why the console refuses a command, or null. argv[0] is the command name (bytes). */
function refusal(argv: string[]): string | null {
  const name = argv[0]!.toLowerCase();
  let refused = REFUSED.has(name) || BLOCKING.has(name);
  if (name === 'xread' || name === 'xreadgroup') refused = argv.some((a) => a.toLowerCase() === 'block');
  if (name === 'client' && argv[1]?.toLowerCase() === 'reply') refused = true;
  return refused ? `(error) ERR ${utf8(argv[0]!).toUpperCase()} is not available in the workbench console` : null;
}

// ---------------------------------------------------------------------------
// Readable previews of byte strings

/**
 * A byte string (latin1 chars) as readable text: valid UTF-8 is decoded, printable characters
 * stay, everything else (control bytes, invalid UTF-8 such as msgpack) becomes \xHH.
 * Returned as units (one character or one escape each), so a preview never cuts an escape.
 */
function readableUnits(bytes: string, maxUnits = Infinity): { units: string[]; complete: boolean } {
  const units: string[] = [];
  const n = bytes.length;
  const b = (i: number) => (i < n ? bytes.charCodeAt(i) : -1);
  const cont = (i: number) => {
    const c = b(i);
    return c >= 0x80 && c <= 0xbf;
  };
  const hex = (c: number) => '\\x' + c.toString(16).padStart(2, '0');
  let i = 0;
  while (i < n) {
    if (units.length >= maxUnits) return { units, complete: false };
    const c = b(i);
    if (c < 0x80) {
      units.push(c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : hex(c));
      i++;
      continue;
    }
    let len = 0;
    let cp = 0;
    if (c >= 0xc2 && c <= 0xdf && cont(i + 1)) {
      len = 2;
      cp = ((c & 0x1f) << 6) | (b(i + 1) & 0x3f);
    } else if (c >= 0xe0 && c <= 0xef && cont(i + 1) && cont(i + 2)) {
      cp = ((c & 0x0f) << 12) | ((b(i + 1) & 0x3f) << 6) | (b(i + 2) & 0x3f);
      if (cp >= 0x800 && !(cp >= 0xd800 && cp <= 0xdfff)) len = 3;
    } else if (c >= 0xf0 && c <= 0xf4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      cp = ((c & 0x07) << 18) | ((b(i + 1) & 0x3f) << 12) | ((b(i + 2) & 0x3f) << 6) | (b(i + 3) & 0x3f);
      if (cp >= 0x10000 && cp <= 0x10ffff) len = 4;
    }
    if (len === 0 || (cp >= 0x80 && cp <= 0x9f)) {
      // Not UTF-8 (or a C1 control): escape the lead byte and resynchronise on the next one.
      units.push(hex(c));
      i++;
    } else {
      units.push(String.fromCodePoint(cp));
      i += len;
    }
  }
  return { units, complete: true };
}

export function readable(bytes: string): string {
  return readableUnits(bytes).units.join('');
}

function preview(bytes: string, maxUnits: number, truncated: boolean): string {
  const { units, complete } = readableUnits(bytes, maxUnits);
  return units.join('') + (!complete || truncated ? '…' : '');
}

// ---------------------------------------------------------------------------
// Key listing

// The message shapes are engine/inspector.ts's schema (types only: the broker is bundled without zod).
type KeyType = KeyInfo['type'];
type Preview = KeyInfo['value'];
export type { KeyInfo };

function expectArray(r: WireReply): WireReply[] {
  if (r instanceof ErrorReply) throw new Error(r.msg);
  if (!Array.isArray(r)) throw new Error('unexpected reply');
  return r as WireReply[];
}

function expectInt(r: WireReply): number {
  if (r instanceof ErrorReply) throw new Error(r.msg);
  if (typeof r !== 'bigint') throw new Error('unexpected reply');
  return Number(r);
}

function strings(r: WireReply): string[] {
  return expectArray(r).map((x) => (typeof x === 'string' ? x : ''));
}

function record(flat: string[]): Record<string, string> {
  // A null-prototype object: a field named __proto__ is just a field.
  const o = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < flat.length; i += 2) o[readable(flat[i]!)] = readable(flat[i + 1]!);
  return o;
}

async function listKeys(conn: RespClient): Promise<{ keys: KeyInfo[]; truncated: boolean }> {
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = expectArray(await conn.command(['SCAN', cursor, 'COUNT', '1000']));
    cursor = typeof next === 'string' ? next : '0';
    for (const k of strings(batch!)) names.push(k);
  } while (cursor !== '0' && names.length < MAX_SCANNED);
  const unique = [...new Set(names)].sort(); // latin1 byte strings: code unit order is memcmp order
  const first = unique.slice(0, MAX_KEYS);
  const infos = await Promise.all(first.map((k) => keyInfo(conn, k).catch(() => null)));
  return { keys: infos.filter((x): x is KeyInfo => x !== null), truncated: unique.length > MAX_KEYS || cursor !== '0' };
}

async function keyInfo(conn: RespClient, key: string): Promise<KeyInfo | null> {
  const typeReply = conn.command(['TYPE', key]);
  const ttlReply = conn.command(['PTTL', key]);
  const t = await typeReply;
  const ttl = expectInt(await ttlReply);
  if (!(t instanceof Status) || ttl === -2) return null;
  const type = t.s as KeyType;
  const info = (size: number, value: Preview): KeyInfo => ({ key: readable(key), type, ttl, size, value });
  switch (type) {
    case 'string': {
      const size = expectInt(await conn.command(['STRLEN', key]));
      // At most 4 bytes per character: enough bytes for 300 characters.
      const head = await conn.command(['GETRANGE', key, '0', String(STRING_PREVIEW * 4 - 1)]);
      const bytes = typeof head === 'string' ? head : '';
      return info(size, preview(bytes, STRING_PREVIEW, bytes.length < size));
    }
    case 'hash': {
      const size = expectInt(await conn.command(['HLEN', key]));
      const flat: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = expectArray(await conn.command(['HSCAN', key, cursor, 'COUNT', '100']));
        cursor = typeof next === 'string' ? next : '0';
        flat.push(...strings(batch!));
      } while (cursor !== '0' && flat.length < PREVIEW_ITEMS * 2);
      return info(size, record(flat.slice(0, PREVIEW_ITEMS * 2)));
    }
    case 'list': {
      const size = expectInt(await conn.command(['LLEN', key]));
      const items = strings(await conn.command(['LRANGE', key, '0', String(PREVIEW_ITEMS - 1)]));
      return info(size, items.map(readable));
    }
    case 'set': {
      const size = expectInt(await conn.command(['SCARD', key]));
      let members: string[];
      if (size <= 1000) {
        members = strings(await conn.command(['SMEMBERS', key]));
      } else {
        members = [];
        let cursor = '0';
        do {
          const [next, batch] = expectArray(await conn.command(['SSCAN', key, cursor, 'COUNT', '100']));
          cursor = typeof next === 'string' ? next : '0';
          members.push(...strings(batch!));
        } while (cursor !== '0' && members.length < PREVIEW_ITEMS);
      }
      return info(size, members.sort().slice(0, PREVIEW_ITEMS).map(readable));
    }
    case 'zset': {
      const size = expectInt(await conn.command(['ZCARD', key]));
      const flat = strings(await conn.command(['ZRANGE', key, '0', String(PREVIEW_ITEMS - 1), 'WITHSCORES']));
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([readable(flat[i]!), flat[i + 1]!]);
      return info(size, pairs);
    }
    case 'stream': {
      const size = expectInt(await conn.command(['XLEN', key]));
      const entries = expectArray(await conn.command(['XREVRANGE', key, '+', '-', 'COUNT', '20']));
      return info(
        size,
        entries.map((e) => {
          const [id, fields] = expectArray(e);
          return { id: typeof id === 'string' ? id : '', fields: record(strings(fields ?? [])) };
        }),
      );
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------
// The server

/**
 * ws's CommonJS files require Node's built-ins; bundled into an ES module (the sandbox build)
 * esbuild's require shim needs a global require to exist, so provide one before loading ws.
 */
async function loadWs(): Promise<typeof import('ws')> {
  const g = globalThis as { require?: unknown };
  if (typeof g.require === 'undefined') g.require = createRequire(import.meta.url);
  return import('ws');
}

export async function startInspector(opts: InspectorOptions): Promise<Inspector> {
  const host = opts.host ?? '127.0.0.1';
  const brokerHost = opts.brokerHost ?? host;
  const { WebSocketServer: WSS } = await loadWs();
  /** Local ports of every broker connection the inspector holds: their MONITOR lines are hidden. */
  const ownPorts = new Set<number>();
  const sessions = new Set<Session>();

  const wss: WebSocketServer = new WSS({ noServer: true, maxPayload: MAX_PAYLOAD });
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end('{"ok":true}');
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"ok":false,"error":"not found"}');
    }
  });
  if (!opts.secret) throw new Error('the inspector needs a secret');
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const refusal = refuse(req, opts.secret, opts.origins);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Refused after the handshake, so that the browser gets the reason (a refused upgrade
      // shows only as 1006); nothing reaches the broker.
      if (refusal) {
        ws.close(1008, refusal);
        return;
      }
      const s = new Session(ws, { port: opts.brokerPort, host: brokerHost, password: opts.password, ownPorts });
      sessions.add(s);
      ws.once('close', () => sessions.delete(s));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  let closing: Promise<void> | null = null;
  return {
    port,
    close(code = 1001, reason = 'the broker inspector is shutting down') {
      closing ??= (async () => {
        const closed = [...sessions].map((s) => s.shutdown(code, reason));
        wss.close();
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 500).unref())]);
        await httpClosed;
      })();
      return closing;
    },
  };
}

/** Why this upgrade request may not have a WebSocket (null: it may). */
export function refuse(req: http.IncomingMessage, secret: string, origins?: string[]): string | null {
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, req.headers.host, origins)) {
    return `origin ${origin.slice(0, 60)} is not allowed (--inspector-origin)`;
  }
  let given: string | null = null;
  try {
    given = new URL(req.url ?? '/', 'http://inspector').searchParams.get('secret');
  } catch {
    given = null;
  }
  if (given === null || given === '') return 'the inspector needs the run\'s secret (?secret=)';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  if (!timingSafeEqual(a, b)) return 'wrong inspector secret';
  return null;
}

export function originAllowed(origin: string, host: string | undefined, allowed?: string[]): boolean {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (allowed && allowed.length > 0) return allowed.some((a) => a.replace(/\/+$/, '').toLowerCase() === u.origin.toLowerCase());
  const h = u.hostname.toLowerCase();
  if (h === 'localhost' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h)) return true;
  return host !== undefined && u.host.toLowerCase() === host.toLowerCase();
}

interface SessionOptions {
  port: number;
  host: string;
  password: string | undefined;
  ownPorts: Set<number>;
}

class Session {
  private ws: WebSocket;
  private opts: SessionOptions;
  private console: RespClient;
  private data: RespClient | null = null;
  private monitor: RespClient | null = null;
  private monitoring = false;
  private conns = new Set<RespClient>();
  private done = false;
  /** Whether the last client command MONITOR showed was the inspector's (then so are its script's). */
  private hideLua = false;
  private consoleQueue: Promise<void> = Promise.resolve();

  constructor(ws: WebSocket, opts: SessionOptions) {
    this.ws = ws;
    this.opts = opts;
    this.console = this.connect();
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.send({ type: 'error', message: 'binary frames are not supported: send JSON text' });
      void this.handle(data.toString());
    });
    ws.on('close', () => void this.shutdown());
    ws.on('error', () => void this.shutdown());
  }

  /** A new named broker connection; its loss ends the session with 1011. */
  private connect(onPush?: (r: WireReply) => void): RespClient {
    let conn: RespClient;
    conn = new RespClient(
      {
        port: this.opts.port,
        host: this.opts.host,
        onPush,
        onGone: (reason) => {
          this.forget(conn);
          void this.shutdown(1011, reason);
        },
      },
      (localPort) => {
        if (conn.isGone) return;
        this.opts.ownPorts.add(localPort);
      },
    );
    this.conns.add(conn);
    if (this.opts.password) void conn.command(['AUTH', this.opts.password]).catch(() => {});
    void conn.command(['CLIENT', 'SETNAME', CLIENT_NAME]).catch(() => {});
    return conn;
  }

  private forget(conn: RespClient): void {
    this.conns.delete(conn);
    if (conn.localPort) this.opts.ownPorts.delete(conn.localPort);
  }

  private send(msg: InspectorReply): void {
    if (this.done || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(msg));
  }

  /** End the session; resolves when the WebSocket is closed. */
  shutdown(code?: number, reason?: string): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (this.ws.readyState === this.ws.CLOSED) resolve();
      else this.ws.once('close', () => resolve());
    });
    if (this.done) return closed;
    this.done = true;
    for (const c of [...this.conns]) {
      c.close();
      this.forget(c);
    }
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      // A close reason is at most 123 bytes.
      this.ws.close(code ?? 1000, Buffer.from(reason ?? '').subarray(0, 123).toString());
    }
    return closed;
  }

  private async handle(text: string): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.send({ type: 'error', message: 'not JSON' });
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return this.send({ type: 'error', message: 'expected a JSON object' });
    const m = msg as { id?: unknown; type?: unknown; line?: unknown; on?: unknown };
    const id = typeof m.id === 'number' && Number.isFinite(m.id) ? m.id : undefined;
    const fail = (message: string) => this.send(id !== undefined ? { id, type: 'error', message } : { type: 'error', message });
    switch (m.type) {
      case 'command': {
        if (id === undefined) return fail('a command needs a numeric "id"');
        if (typeof m.line !== 'string') return fail('a command needs a string "line"');
        // Replies leave in the order the lines came, refused or not.
        const line = m.line;
        const run = this.consoleQueue.then(() => this.command(line));
        this.consoleQueue = run.then(
          () => {},
          () => {},
        );
        const text = await run;
        if (text !== null) this.send({ id, type: 'reply', text });
        return;
      }
      case 'keys': {
        if (id === undefined) return fail('a keys request needs a numeric "id"');
        this.data ??= this.connect();
        try {
          const { keys, truncated } = await listKeys(this.data);
          this.send({ id, type: 'keys', keys, truncated });
        } catch (e) {
          if (!this.done) fail(`listing keys failed: ${(e as Error).message}`);
        }
        return;
      }
      case 'monitor': {
        if (typeof m.on !== 'boolean') return fail('monitor needs a boolean "on"');
        this.setMonitor(m.on);
        return;
      }
      default:
        return fail(`unknown message type ${JSON.stringify(m.type)}`);
    }
  }

  /** Run one console line; the reply text, or null when the broker is gone. */
  private async command(line: string): Promise<string | null> {
    const argv = splitArgs(Buffer.from(line, 'utf8').toString('latin1'));
    if (argv === null) return '(error) ERR Invalid argument(s)';
    if (argv.length === 0) return '';
    const refused = refusal(argv);
    if (refused) return refused;
    try {
      return formatReply(await this.console.command(argv)).replace(/\n$/, '');
    } catch {
      return null;
    }
  }

  private setMonitor(on: boolean): void {
    if (on === this.monitoring) return;
    this.monitoring = on;
    if (on) {
      const conn = this.connect((r) => {
        if (conn === this.monitor && r instanceof Status) this.monitorLine(r.s);
      });
      this.monitor = conn;
      void conn.command(['MONITOR']).catch(() => {});
    } else if (this.monitor) {
      const conn = this.monitor;
      this.monitor = null;
      this.hideLua = false;
      conn.close();
      this.forget(conn);
    }
  }

  private monitorLine(line: string): void {
    const m = /^\d+\.\d+ \[\d+ ([^\]]*)\] /.exec(line);
    const who = m?.[1] ?? '';
    if (who === 'lua') {
      // A script's commands follow the EVAL/EVALSHA line that ran them (as in Redis).
      if (!this.hideLua) this.emitMonitor(line);
      return;
    }
    const own = this.opts.ownPorts.has(Number(who.slice(who.lastIndexOf(':') + 1)));
    this.hideLua = own;
    if (!own) this.emitMonitor(line);
  }

  private emitMonitor(line: string): void {
    if (!this.monitoring || this.ws.bufferedAmount > MONITOR_BACKLOG) return;
    this.send({ type: 'monitor', line: utf8(line) });
  }
}

// Differential test harness: a real redis-server (Debian's 7.0) and the
// embedded broker side by side, driven over raw RESP sockets so replies can be
// compared byte for byte.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import assert from 'node:assert/strict';
import { createBroker, type Broker, type BrokerOptions } from '../../broker/server.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisProcess {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Start Debian's redis-server on a free port, without persistence. */
export async function startRedis(extra: string[] = []): Promise<RedisProcess> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning', ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let exited = false;
    let spawnError: Error | null = null;
    proc.on('exit', () => (exited = true));
    proc.on('error', (e) => {
      spawnError = e;
      exited = true;
    });
    for (let i = 0; i < 100 && !exited; i++) {
      try {
        const c = await RawConn.connect(port);
        const r = await c.send(['PING']);
        c.close();
        if (r.toString() === '+PONG\r\n' || r.toString().startsWith('-NOAUTH')) {
          return {
            port,
            proc,
            stop: () =>
              new Promise<void>((resolve) => {
                if (exited) return resolve();
                proc.once('exit', () => resolve());
                proc.kill('SIGKILL');
              }),
          };
        }
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    proc.kill('SIGKILL');
    if (spawnError) throw new Error(`cannot run redis-server (the differential tests need Debian's redis-server on PATH): ${(spawnError as Error).message}`);
  }
  throw new Error('could not start redis-server');
}

/** Length of the first complete RESP reply in buf, or -1 if incomplete. */
export function replyLength(buf: Buffer, pos = 0): number {
  if (pos >= buf.length) return -1;
  const cr = buf.indexOf('\r\n', pos);
  if (cr < 0) return -1;
  const t = buf[pos];
  const line = buf.toString('latin1', pos + 1, cr);
  switch (t) {
    case 0x2b: // +
    case 0x2d: // -
    case 0x3a: // :
      return cr + 2 - pos;
    case 0x24: {
      // $
      const n = Number(line);
      if (n < 0) return cr + 2 - pos;
      if (buf.length < cr + 2 + n + 2) return -1;
      return cr + 4 + n - pos;
    }
    case 0x2a: {
      // *
      const n = Number(line);
      let p = cr + 2;
      for (let i = 0; i < n; i++) {
        const l = replyLength(buf, p);
        if (l < 0) return -1;
        p += l;
      }
      return p - pos;
    }
    default:
      throw new Error(`bad reply type ${String.fromCharCode(t!)} in ${JSON.stringify(buf.toString('latin1'))}`);
  }
}

export type Arg = string | Buffer;

export function encodeCommand(args: Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** A raw RESP connection that returns each reply's exact bytes. */
export class RawConn {
  private sock: net.Socket;
  private buf = Buffer.alloc(0);
  private waiters: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  closed = false;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed'));
    });
    sock.on('error', () => {});
  }

  static connect(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.off('error', reject);
        s.setNoDelay(true);
        resolve(new RawConn(s));
      });
      s.once('error', reject);
    });
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const n = replyLength(this.buf);
      if (n < 0) return;
      const reply = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      this.waiters.shift()!.resolve(Buffer.from(reply));
    }
  }

  /** Next reply (for pub/sub pushes or pipelined sends). */
  read(timeoutMs = 5000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('timeout waiting for reply'));
      }, timeoutMs);
      const w = {
        resolve: (b: Buffer) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(w);
      this.drain();
    });
  }

  write(data: Buffer | string): void {
    this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  send(args: Arg[], timeoutMs?: number): Promise<Buffer> {
    const p = this.read(timeoutMs);
    this.write(encodeCommand(args));
    return p;
  }

  /** Everything the server sends until it closes the connection (or the timeout). */
  readUntilClose(timeoutMs = 2000): Promise<Buffer> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(this.buf);
      };
      const timer = setTimeout(done, timeoutMs);
      if (this.closed) return done();
      this.sock.once('close', done);
    });
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

export const show = (b: Buffer): string => JSON.stringify(b.toString('latin1'));

export interface Pair {
  redis: RawConn;
  broker: RawConn;
}

/** One real Redis and one embedded broker, plus helpers to compare them. */
export class Differential {
  redis!: RedisProcess;
  broker!: Broker;
  conns: Pair[] = [];

  static async start(opts: { broker?: BrokerOptions; redisArgs?: string[] } = {}): Promise<Differential> {
    const d = new Differential();
    d.redis = await startRedis(opts.redisArgs);
    d.broker = await createBroker({ port: 0, ...opts.broker });
    return d;
  }

  async pair(): Promise<Pair> {
    const p = { redis: await RawConn.connect(this.redis.port), broker: await RawConn.connect(this.broker.port) };
    this.conns.push(p);
    return p;
  }

  async stop(): Promise<void> {
    for (const p of this.conns) {
      p.redis.close();
      p.broker.close();
    }
    await this.broker.close();
    await this.redis.stop();
  }
}

/** Send the same command to both and return both replies. */
export async function both(p: Pair, args: Arg[]): Promise<{ redis: Buffer; broker: Buffer }> {
  const [redis, broker] = await Promise.all([p.redis.send(args), p.broker.send(args)]);
  return { redis, broker };
}

/** Assert both servers answer byte for byte the same. */
export async function same(p: Pair, args: Arg[], normalize?: (b: Buffer) => string): Promise<Buffer> {
  const r = await both(p, args);
  const a = normalize ? normalize(r.redis) : show(r.redis);
  const b = normalize ? normalize(r.broker) : show(r.broker);
  assert.equal(b, a, `reply to ${JSON.stringify(args.map((x) => x.toString()))} differs\n  redis:  ${a}\n  broker: ${b}`);
  return r.redis;
}

/** Run a list of commands through `same`. */
export async function script(p: Pair, cmds: Arg[][]): Promise<void> {
  for (const c of cmds) await same(p, c);
}

// ---------------------------------------------------------------------------
// Reply decoding (for order-insensitive comparisons)

export type Decoded = string | number | null | { err: string } | { status: string } | Decoded[];

export function decode(buf: Buffer, pos = 0): [Decoded, number] {
  const cr = buf.indexOf('\r\n', pos);
  const t = buf[pos];
  const line = buf.toString('latin1', pos + 1, cr);
  switch (t) {
    case 0x2b:
      return [{ status: line }, cr + 2];
    case 0x2d:
      return [{ err: line }, cr + 2];
    case 0x3a:
      return [Number(line), cr + 2];
    case 0x24: {
      const n = Number(line);
      if (n < 0) return [null, cr + 2];
      return [buf.toString('latin1', cr + 2, cr + 2 + n), cr + 4 + n];
    }
    case 0x2a: {
      const n = Number(line);
      if (n < 0) return [null, cr + 2];
      const out: Decoded[] = [];
      let p = cr + 2;
      for (let i = 0; i < n; i++) {
        const [v, np] = decode(buf, p);
        out.push(v);
        p = np;
      }
      return [out, p];
    }
    default:
      throw new Error('bad reply');
  }
}

/** Normalizer: decode and sort a flat array reply (for SMEMBERS, KEYS...). */
export function sorted(b: Buffer): string {
  const [v] = decode(b);
  if (Array.isArray(v)) return JSON.stringify([...v].map((x) => JSON.stringify(x)).sort());
  return JSON.stringify(v);
}

/** Normalizer: a flat [k, v, k, v] array compared as a sorted list of pairs. */
export function sortedPairs(b: Buffer): string {
  const [v] = decode(b);
  if (!Array.isArray(v)) return JSON.stringify(v);
  const pairs: string[] = [];
  for (let i = 0; i < v.length; i += 2) pairs.push(JSON.stringify([v[i], v[i + 1]]));
  return JSON.stringify(pairs.sort());
}

export type Case = Arg[] | { cmd: Arg[]; norm?: (b: Buffer) => string };

/** Run cases on a pair; every reply must match (through the case's normalizer, if any). */
export async function runCases(p: Pair, cases: Case[]): Promise<void> {
  for (const c of cases) {
    if (Array.isArray(c)) await same(p, c);
    else await same(p, c.cmd, c.norm);
  }
}

/** Before/after hooks for a test file: one Differential, a flushed pair per test. */
export function useDifferential(hooks: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void }, opts: { broker?: BrokerOptions; redisArgs?: string[] } = {}): {
  fresh: () => Promise<Pair>;
  get: () => Differential;
} {
  let d: Differential;
  hooks.before(async () => {
    d = await Differential.start(opts);
  });
  hooks.after(async () => {
    await d.stop();
  });
  return {
    get: () => d,
    fresh: async () => {
      const p = await d.pair();
      await both(p, ['FLUSHALL']);
      await both(p, ['SCRIPT', 'FLUSH']);
      return p;
    },
  };
}

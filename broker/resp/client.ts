// A small RESP2 client over node:net, used by the inspector (inspector.ts) to talk to the
// broker like any other client. Replies come back as the same values the server builds
// (resp/reply.ts): byte strings (latin1) for bulks, null for a nil bulk, bigint for integers,
// Status, ErrorReply, arrays and NULL_ARRAY. Commands are pipelined; replies are matched in order.

import net from 'node:net';
import { ErrorReply, NULL_ARRAY, Status, type Reply } from './reply.ts';

/** A reply as read from the wire (no Sequence: every reply is one value). */
export type WireReply = Exclude<Reply, number>;

interface Waiter {
  resolve: (r: WireReply) => void;
  reject: (e: Error) => void;
}

export function encodeCommand(args: string[]): Buffer {
  let out = '*' + args.length + '\r\n';
  for (const a of args) out += '$' + a.length + '\r\n' + a + '\r\n';
  return Buffer.from(out, 'latin1');
}

/**
 * Parse one reply from buf at pos. Returns [reply, next position], or null if the buffer does
 * not hold a complete reply yet. Throws on bytes that are not RESP2.
 */
export function parseReply(buf: Buffer, pos: number): [WireReply, number] | null {
  if (pos >= buf.length) return null;
  const cr = buf.indexOf('\r\n', pos);
  if (cr < 0) return null;
  const type = buf[pos];
  const line = buf.toString('latin1', pos + 1, cr);
  const next = cr + 2;
  switch (type) {
    case 0x2b: // +
      return [new Status(line), next];
    case 0x2d: // -
      return [new ErrorReply(line), next];
    case 0x3a: // :
      return [BigInt(line), next];
    case 0x24: {
      // $
      const n = Number(line);
      if (!Number.isInteger(n)) throw new Error(`bad bulk length ${JSON.stringify(line)}`);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('latin1', next, next + n), next + n + 2];
    }
    case 0x2a: {
      // *
      const n = Number(line);
      if (!Number.isInteger(n)) throw new Error(`bad array length ${JSON.stringify(line)}`);
      if (n < 0) return [NULL_ARRAY, next];
      const items: WireReply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (r === null) return null;
        items.push(r[0]);
        p = r[1];
      }
      return [items, p];
    }
    default:
      throw new Error(`unexpected reply type byte 0x${(type ?? 0).toString(16)}`);
  }
}

export interface RespClientOptions {
  port: number;
  host: string;
  /** Called with each reply that arrives when no command waits for one (MONITOR lines). */
  onPush?: (r: WireReply) => void;
  /** Called once when the connection is gone (error or close), unless close() was called first. */
  onGone?: (reason: string) => void;
}

export class RespClient {
  readonly sock: net.Socket;
  /** Local port of the connection, known once connected (the broker shows it in MONITOR lines). */
  localPort = 0;
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Waiter[] = [];
  private closedByUs = false;
  private gone = false;
  private onPush: ((r: WireReply) => void) | undefined;
  private onGone: ((reason: string) => void) | undefined;

  constructor(opts: RespClientOptions, onConnect?: (localPort: number) => void) {
    this.onPush = opts.onPush;
    this.onGone = opts.onGone;
    this.sock = net.connect(opts.port, opts.host);
    this.sock.setNoDelay(true);
    // Registered before any write, so it runs before buffered commands reach the broker.
    this.sock.once('connect', () => {
      this.localPort = this.sock.localPort ?? 0;
      onConnect?.(this.localPort);
    });
    this.sock.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      let pos = 0;
      try {
        for (;;) {
          const r = parseReply(this.buf, pos);
          if (r === null) break;
          pos = r[1];
          const w = this.waiters.shift();
          if (w) w.resolve(r[0]);
          else this.onPush?.(r[0]);
        }
      } catch (e) {
        this.fail(`unreadable reply from the broker: ${(e as Error).message}`);
        return;
      }
      this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
    });
    let lastError = '';
    this.sock.on('error', (e: NodeJS.ErrnoException) => {
      lastError = e.code ?? e.message;
    });
    this.sock.on('close', () => {
      this.fail(lastError ? `broker connection failed: ${lastError}` : 'broker closed the connection');
    });
  }

  private fail(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    if (!this.sock.destroyed) this.sock.destroy();
    for (const w of this.waiters.splice(0)) w.reject(new Error(reason));
    if (!this.closedByUs) this.onGone?.(reason);
  }

  get isGone(): boolean {
    return this.gone;
  }

  /** Send a command (arguments are byte strings) and wait for its reply. */
  command(args: string[]): Promise<WireReply> {
    return new Promise((resolve, reject) => {
      if (this.gone) return reject(new Error('broker connection closed'));
      this.waiters.push({ resolve, reject });
      this.sock.write(encodeCommand(args));
    });
  }

  /** Close the connection; onGone is not called. */
  close(): void {
    this.closedByUs = true;
    this.fail('closed');
  }
}

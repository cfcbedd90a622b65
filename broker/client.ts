// A connected client (or the fake client a Lua script runs commands as).

import type { Socket } from 'node:net';
import { RespParser } from './resp/parser.ts';
import type { Block, CommandSpec } from './commands/registry.ts';
import type { WatchEntry, Watcher } from './store/keyspace.ts';

export interface MultiState {
  queue: { spec: CommandSpec; argv: string[] }[];
  /** A queued command was rejected (unknown, arity, OOM...): EXEC aborts. */
  dirtyExec: boolean;
  hasWrite: boolean;
  hasDenyOom: boolean;
}

export interface BlockState {
  block: Block;
  spec: CommandSpec;
  argv: string[];
  db: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class Client implements Watcher {
  readonly id: number;
  readonly sock: Socket | null;
  readonly parser: RespParser;
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  name = '';
  libName = '';
  libVer = '';
  db = 0;
  authenticated: boolean;
  resp = 2;
  multi: MultiState | null = null;
  dirtyCas = false;
  watched: WatchEntry[] = [];
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  monitor = false;
  blocked: BlockState | null = null;
  /** Waiting for an asynchronous command (a script that yielded, a reply being streamed). */
  pending = false;
  /** A reply is being streamed: other output waits. */
  streaming = false;
  /** Reply then close (QUIT, protocol errors, CLIENT KILL). */
  closeAfterReply = false;
  closed = false;
  /** CLIENT REPLY OFF/SKIP. */
  replyMode: 'on' | 'off' = 'on';
  /** CLIENT REPLY SKIP: the next command's reply is dropped. */
  skipArmed = false;
  skipCurrent = false;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCmd = 'NULL';
  /** Pending output as a byte string; it goes out after `outQueue`. */
  out = '';
  /**
   * Pending output already made into Buffers, some of them shared with other clients (a
   * published message is encoded once for all its subscribers, not copied for each).
   */
  outQueue: Buffer[] = [];
  outQueueBytes = 0;
  /** When the output buffer went over the soft limit (0: it is under). */
  obufSoftSince = 0;
  /** Reading is paused because the client used its turn (COMMANDS_PER_TURN). */
  inputPaused = false;
  /** The rest of its buffered commands runs on a later turn (setImmediate). */
  turnScheduled = false;
  isLua: boolean;

  constructor(id: number, sock: Socket | null, authenticated: boolean, opts: { isLua?: boolean; maxBulkLen?: number; fd?: number } = {}) {
    this.id = id;
    this.sock = sock;
    this.authenticated = authenticated;
    this.isLua = opts.isLua ?? false;
    this.fd = opts.fd ?? -1;
    this.parser = new RespParser({
      maxBulkLen: opts.maxBulkLen,
      unauthenticated: () => !this.authenticated,
    });
    this.addr = sock ? `${fmtHost(sock.remoteAddress)}:${sock.remotePort}` : '';
    this.laddr = sock ? `${fmtHost(sock.localAddress)}:${sock.localPort}` : '';
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  get inPubSub(): boolean {
    return this.channels.size + this.patterns.size > 0;
  }
}

function fmtHost(h: string | undefined): string {
  if (!h) return '?';
  if (h.startsWith('::ffff:')) return h.slice(7);
  return h.includes(':') ? `[${h}]` : h;
}

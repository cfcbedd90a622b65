// The embedded broker: a Redis-compatible TCP server on node:net.
//
// Command processing follows Redis's processCommand()/call() order: lookup,
// arity, auth, OOM, pub/sub context, busy script, MULTI queueing, execution,
// then serving clients blocked on keys that became ready.

import net from 'node:net';
import { Client } from './client.ts';
import { ProtocolError, DEFAULT_MAX_BULK_LEN } from './resp/parser.ts';
import { encode, encodeChunks, isStreamed, toBuffer } from './resp/encoder.ts';
import { sharedFrame } from './resp/frames.ts';
import { E, ErrorReply, NO_REPLY, Sequence, Status, err, wrongArity, type Reply } from './resp/reply.ts';
import { Keyspace } from './store/keyspace.ts';
import { Block, Registry, type CommandSpec, type Ctx, type HandlerResult } from './commands/registry.ts';
import { cstr, noNewlines, parseMemory, repr } from './util/repr.ts';
import { globMatch } from './util/glob.ts';
import { Config, parseOutputBufferLimits, type OutputBufferLimits } from './config.ts';
import { registerAll } from './commands/index.ts';
import { Scripting } from './lua/scripting.ts';
import { N, eventClass, parseEventFlags } from './notify.ts';
import { Reclaimer, fullGc, residentBytes } from './util/gc.ts';

export interface BrokerOptions {
  port?: number;
  host?: string;
  password?: string;
  /** Bytes, or a Redis memory string like "64mb". 0 = no limit. */
  maxmemory?: number | string;
  /** Path of wasmoon's glue.wasm (defaults to the copy in node_modules). */
  wasmPath?: string;
  /** Log sink for redis.log and server notices (default: none). */
  log?: (level: string, msg: string) => void;
  /**
   * Protected mode (default on, as in Redis): without a password, clients connecting from
   * anywhere but the loopback interface get DENIED. false turns it off.
   */
  protectedMode?: boolean;
  /** Called after a client's SHUTDOWN closed the broker (the CLI exits the process). */
  onShutdown?: () => void;
  /**
   * Once quiet again after a burst that grew RSS by 32 MB, ask V8 for a memory-reducing
   * collection (default on; util/gc.ts says why).
   */
  reclaimMemory?: boolean;
}

export interface Broker {
  port: number;
  host: string;
  server: Server;
  close(): Promise<void>;
}

export class Server {
  readonly ks = new Keyspace(16);
  readonly registry = new Registry();
  readonly config: Config;
  readonly clients = new Map<number, Client>();
  readonly monitors = new Set<Client>();
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  /** Blocked clients per "db\0key", in blocking order. */
  readonly blockedOn = new Map<string, Client[]>();
  readonly startedAt = Date.now();
  readonly runId = Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
  /** INFO errorstats: error replies by their first word (ERR, WRONGTYPE, ...). */
  readonly errorStats = new Map<string, number>();
  private peak = 0;
  readonly stats = {
    connectionsReceived: 0,
    commandsProcessed: 0,
    rejectedConnections: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorReplies: 0,
    totalBlocking: 0,
  };
  scripting!: Scripting;
  netServer: net.Server | null = null;
  port = 0;
  host = '127.0.0.1';
  log: (level: string, msg: string) => void;
  private nextId = 1;
  private dirty = new Set<Client>();
  private flushScheduled = false;
  private cron: ReturnType<typeof setInterval> | null = null;
  /** Fake client used to run commands from Lua. */
  luaClient: Client;
  /** Gives memory back once a burst is over (null where the runtime does not tell RSS). */
  private reclaimer: Reclaimer | null = null;

  private onShutdown: (() => void) | undefined;

  constructor(opts: BrokerOptions = {}) {
    this.config = new Config();
    this.onShutdown = opts.onShutdown;
    if (opts.password) this.config.set('requirepass', opts.password);
    if (opts.protectedMode === false) this.config.set('protected-mode', 'no');
    if (opts.maxmemory !== undefined) {
      const mm = typeof opts.maxmemory === 'number' ? opts.maxmemory : parseMemory(opts.maxmemory);
      if (mm === null) throw new Error(`invalid maxmemory: ${opts.maxmemory}`);
      this.config.set('maxmemory', String(mm));
    }
    this.log = opts.log ?? (() => {});
    this.ks.notify = (event, key, db) => this.notifyKeyspaceEvent(event, key, db);
    registerAll(this.registry);
    this.luaClient = new Client(0, null, true, { isLua: true });
    if (residentBytes && opts.reclaimMemory !== false) {
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
      this.reclaimer = new Reclaimer(residentBytes, () => fullGc(true), (before, after) =>
        this.log('notice', `memory given back after a burst: RSS ${mb(before)} -> ${mb(after)}`),
      );
    }
  }

  // -------------------------------------------------------------------------
  // Connections

  async listen(port: number, host: string): Promise<void> {
    this.netServer = net.createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      this.netServer!.once('error', reject);
      this.netServer!.listen(port, host, () => {
        this.netServer!.off('error', reject);
        resolve();
      });
    });
    const addr = this.netServer.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
    this.host = host;
    this.config.setInternal('port', String(this.port));
    this.config.setInternal('bind', host);
    this.cron = setInterval(() => this.serverCron(), 100);
    this.cron.unref?.();
  }

  private accept(sock: net.Socket): void {
    const maxClients = Number(this.config.get('maxclients'));
    this.stats.connectionsReceived++;
    sock.setNoDelay(true);
    if (this.clients.size >= maxClients) {
      this.stats.rejectedConnections++;
      refuseConnection(sock, '-ERR max number of clients reached\r\n');
      return;
    }
    // Protected mode (clientAcceptHandler): with no password, only loopback clients are served.
    if (this.config.get('protected-mode') === 'yes' && !this.authRequired() && !isLoopback(sock.remoteAddress)) {
      this.stats.rejectedConnections++;
      refuseConnection(sock, DENIED);
      return;
    }
    const c = new Client(this.nextId++, sock, !this.authRequired(), {
      maxBulkLen: Number(this.config.get('proto-max-bulk-len')) || DEFAULT_MAX_BULK_LEN,
      fd: this.nextId + 6,
    });
    this.clients.set(c.id, c);
    sock.on('data', (chunk: Buffer) => {
      this.stats.netInputBytes += chunk.length;
      c.lastInteraction = Date.now();
      try {
        c.parser.feed(chunk);
      } catch {
        this.freeClient(c);
        return;
      }
      if (c.parser.buffered > this.queryBufferLimit()) {
        this.log('warning', `closing client that reached max query buffer length: id=${c.id}`);
        this.freeClient(c);
        return;
      }
      // Input that arrived after this client used its turn waits for the turn already scheduled.
      if (c.turnScheduled) return;
      try {
        this.processInput(c);
      } catch (e) {
        // A bug must cost one connection, never the server.
        this.log('warning', `internal error while serving client ${c.id}: ${(e as Error)?.stack ?? e}`);
        this.freeClient(c);
      }
    });
    sock.on('error', () => this.freeClient(c));
    sock.on('close', () => this.freeClient(c));
  }

  private queryBufferLimit(): number {
    return parseMemory(this.config.get('client-query-buffer-limit') ?? '') ?? 1024 * 1024 * 1024;
  }

  private lastSecurityWarning = 0;

  /** securityWarningCommand: log (at most once a minute) and drop the connection without a reply. */
  private securityWarning(c: Client): void {
    const now = Date.now();
    if (now - this.lastSecurityWarning > 60_000) {
      this.lastSecurityWarning = now;
      this.log(
        'warning',
        'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.',
      );
    }
    this.freeClient(c);
  }

  /** An error reply went out (or to a script): total_error_replies and errorstats. */
  countError(e: ErrorReply): void {
    this.stats.errorReplies++;
    const sp = e.msg.indexOf(' ');
    const code = sp < 0 ? e.msg : e.msg.slice(0, sp);
    this.errorStats.set(code, (this.errorStats.get(code) ?? 0) + 1);
  }

  rss(): number {
    try {
      return process.memoryUsage.rss();
    } catch {
      return this.usedMemory();
    }
  }

  peakMemory(used = this.usedMemory()): number {
    if (used > this.peak) this.peak = used;
    return this.peak;
  }

  authRequired(): boolean {
    return (this.config.get('requirepass') ?? '') !== '';
  }

  freeClient(c: Client): void {
    if (c.closed) return;
    this.detach(c);
    if (c.sock && !c.sock.destroyed) c.sock.destroy();
  }

  /** Forget a client: blocking, WATCH, subscriptions, MONITOR. */
  private detach(c: Client): void {
    c.closed = true;
    this.clients.delete(c.id);
    this.unblock(c, undefined);
    this.unwatchAll(c);
    this.unsubscribeAll(c, false);
    this.monitors.delete(c);
    this.dirty.delete(c);
    // Output it will never read: let go of it now, not when the socket object is collected.
    c.out = '';
    c.outQueue = [];
    c.outQueueBytes = 0;
  }

  /**
   * Run the complete commands buffered for this client, at most COMMANDS_PER_TURN of them: a
   * client that pipelines 100,000 commands (libuv hands over up to 2 MB in one read event) must
   * not hold the event loop while other clients wait. Past the budget its socket is paused (no
   * more input is read, as Redis reads at most 16 KB per client per event) and the rest runs on
   * a later turn of the event loop, after the others' I/O.
   */
  processInput(c: Client): void {
    if (c.closed) return;
    let budget = COMMANDS_PER_TURN;
    while (!c.closed && !c.blocked && !c.pending && !c.closeAfterReply) {
      if (budget-- === 0) {
        this.yieldTurn(c);
        break;
      }
      let argv: string[] | null;
      try {
        argv = c.parser.next();
      } catch (e) {
        if (e instanceof ProtocolError) {
          const pe = new ErrorReply('ERR ' + e.message);
          this.addReply(c, pe);
          this.countError(pe);
          c.closeAfterReply = true;
          break;
        }
        throw e;
      }
      if (argv === null) {
        // Everything read is done: read again.
        if (c.inputPaused && c.sock && !c.closed) {
          c.inputPaused = false;
          c.sock.resume();
        }
        break;
      }
      this.processCommand(c, argv);
    }
    this.flush(c);
  }

  /** Stop reading from a client that used its turn, and continue with it after the others' I/O. */
  private yieldTurn(c: Client): void {
    if (!c.inputPaused && c.sock) {
      c.inputPaused = true;
      c.sock.pause();
    }
    if (c.turnScheduled) return;
    c.turnScheduled = true;
    setImmediate(() => {
      c.turnScheduled = false;
      this.resume(c);
    });
  }

  // -------------------------------------------------------------------------
  // Output

  addReply(c: Client, r: Reply): void {
    if (c.isLua || c.closed) return;
    // Pub/sub confirmations (the only Sequences) are sent whatever CLIENT REPLY says, as Redis 7.0 does.
    if ((c.replyMode !== 'on' || c.skipCurrent) && !(r instanceof Sequence)) return;
    if (typeof r === 'object' && r !== null && isStreamed(r)) {
      this.stream(c, r);
      return;
    }
    c.out += encode(r);
    this.markDirty(c);
  }

  /**
   * Send a reply holding a LazyArray as the client reads it: about 1 MiB waits in the socket
   * at most, the rest is made when the socket drains. The client's next commands wait their
   * turn (their replies must follow), other clients are served meanwhile.
   */
  private stream(c: Client, r: Reply): void {
    this.flush(c);
    const sock = c.sock;
    if (!sock) return;
    const chunks = encodeChunks(r);
    c.streaming = true;
    c.pending = true;
    const pump = () => {
      if (c.closed) return;
      let sent = 0;
      try {
        // A socket that takes everything at once (a fast local reader) never fills: after
        // each piece (16 KiB) the pump yields to the event loop anyway, so others are served.
        while (sock.writableLength < STREAM_HIGH_WATER && sent === 0) {
          const n = chunks.next();
          if (n.done) {
            c.streaming = false;
            c.pending = false;
            this.flush(c);
            this.resume(c);
            return;
          }
          this.stats.netOutputBytes += n.value.length;
          sent += n.value.length;
          sock.write(toBuffer(n.value));
        }
      } catch (e) {
        // Half a reply cannot be taken back: the connection goes.
        this.log('warning', `internal error while streaming a reply to client ${c.id}: ${(e as Error)?.message ?? e}`);
        this.freeClient(c);
        return;
      }
      if (sock.writableLength >= STREAM_HIGH_WATER) sock.once('drain', pump);
      else setImmediate(pump);
    };
    pump();
  }

  /**
   * Queue a Buffer that other clients may share (a published message, a MONITOR line): 20 subscribers that stop
   * reading hold one copy of each message between them, not 20. Earlier string output goes first.
   */
  addShared(c: Client, buf: Buffer): void {
    if (c.isLua || c.closed) return;
    if (c.out.length > 0) {
      const own = toBuffer(c.out);
      c.out = '';
      c.outQueue.push(own);
      c.outQueueBytes += own.length;
    }
    c.outQueue.push(buf);
    c.outQueueBytes += buf.length;
    this.markDirty(c);
  }

  private markDirty(c: Client): void {
    this.dirty.add(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        for (const d of this.dirty) this.flush(d);
        this.dirty.clear();
      });
    }
  }

  flush(c: Client): void {
    // Output made while a reply streams (MONITOR lines...) waits until the stream ends.
    if (c.streaming) return;
    if ((c.out.length > 0 || c.outQueue.length > 0) && c.sock && !c.closed) {
      const sock = c.sock;
      const queued = c.outQueue;
      if (queued.length > 0) {
        c.outQueue = [];
        c.outQueueBytes = 0;
      }
      const tail = c.out.length > 0 ? toBuffer(c.out) : null;
      c.out = '';
      // Corked: the pieces leave in one writev, or wait in the socket without being copied.
      sock.cork();
      for (const b of queued) {
        this.stats.netOutputBytes += b.length;
        sock.write(b);
      }
      if (tail) {
        this.stats.netOutputBytes += tail.length;
        sock.write(tail);
      }
      sock.uncork();
      if (this.outputBufferOverLimit(c)) return;
    }
    this.dirty.delete(c);
    if (c.closeAfterReply && !c.closed) {
      this.detach(c);
      // Like Redis: the reply goes out, then the connection closes both ways; nothing more
      // the client writes is read.
      const sock = c.sock;
      if (sock) {
        sock.pause();
        sock.end(() => sock.destroy());
      }
    }
  }

  /** Bytes waiting to go out to a client: not yet written, and written but not yet taken by the socket. */
  outputBufferBytes(c: Client): number {
    return c.out.length + c.outQueueBytes + (c.sock?.writableLength ?? 0);
  }

  private obufLimits: OutputBufferLimits | null = null;

  /**
   * client-output-buffer-limit (checkClientOutputBufferLimits): a client that does not read
   * what it is sent (a stalled subscriber) is dropped past the hard limit, or past the soft
   * limit for longer than its seconds, instead of growing the broker without bound.
   * MONITOR clients count as normal clients, as in Redis.
   */
  private outputBufferOverLimit(c: Client): boolean {
    this.obufLimits ??= parseOutputBufferLimits(this.config.get('client-output-buffer-limit') ?? '');
    const lim = this.obufLimits?.[c.inPubSub ? 'pubsub' : 'normal'];
    if (!lim || (lim.hard === 0 && lim.soft === 0)) return false;
    const used = this.outputBufferBytes(c);
    let over = lim.hard > 0 && used >= lim.hard;
    if (!over && lim.soft > 0 && used >= lim.soft) {
      const now = Date.now();
      if (c.obufSoftSince === 0) c.obufSoftSince = now;
      else over = now - c.obufSoftSince >= lim.softSeconds * 1000;
    } else if (!over) {
      c.obufSoftSince = 0;
    }
    if (!over) return false;
    this.log('warning', `Client ${this.clientDesc(c)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.freeClient(c);
    return true;
  }

  private clientDesc(c: Client): string {
    return `id=${c.id} addr=${c.addr} laddr=${c.laddr} name=${c.name} omem=${this.outputBufferBytes(c)} cmd=${c.lastCmd}`;
  }

  /** Output waiting for every client (INFO mem_clients_normal, part of used_memory). */
  clientBuffersBytes(): number {
    let n = 0;
    for (const c of this.clients.values()) n += this.outputBufferBytes(c) + c.parser.buffered;
    return n;
  }

  // -------------------------------------------------------------------------
  // Command processing

  /** Reject a command: flags an open MULTI (so EXEC aborts) and replies the error. */
  private reject(c: Client, e: ErrorReply, spec?: CommandSpec): void {
    if (c.multi) c.multi.dirtyExec = true;
    if (spec) spec.rejected++;
    if (spec && spec.name === 'exec') {
      this.discardTransaction(c);
      const abort = err(`EXECABORT Transaction discarded because of: ${e.msg}`);
      this.countError(abort);
      this.addReply(c, abort);
      return;
    }
    this.countError(e);
    this.addReply(c, e);
  }

  /** lookupCommand + commandCheckExistence + commandCheckArity. */
  /** The command resolve() recognised, even when it refused its arity. */
  resolvedSpec: CommandSpec | null = null;

  resolve(argv: string[]): CommandSpec | ErrorReply {
    const base = this.registry.lookup(argv[0]!);
    this.resolvedSpec = null;
    if (base && base.subcommands && argv.length >= 2) {
      const sub = base.subcommands.get(argv[1]!.toLowerCase());
      if (!sub) {
        return err(noNewlines(`ERR unknown subcommand '${cstr(argv[1]!, 128)}'. Try ${cstr(argv[0]!).toUpperCase()} HELP.`));
      }
      this.resolvedSpec = sub;
      return checkArity(sub, argv);
    }
    if (!base) {
      let args = '';
      for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${cstr(argv[i]!, 128 - args.length)}' `;
      return err(noNewlines(`ERR unknown command '${cstr(argv[0]!, 128)}', with args beginning with: ${args}`));
    }
    this.resolvedSpec = base;
    return checkArity(base, argv);
  }

  oom(): boolean {
    const max = Number(this.config.get('maxmemory'));
    return max > 0 && this.usedMemory() > max;
  }

  /** Client buffers as last summed by serverCron (summing 2,000 clients on every write would cost too much). */
  private clientBuffers = 0;

  usedMemory(): number {
    return BASE_MEMORY + Math.max(0, this.ks.acct.used) + this.clients.size * 20000 + this.clientBuffers;
  }

  processCommand(c: Client, argv: string[]): void {
    // Cross-protocol scripting: an HTTP request sent to this port (a browser's POST, or any
    // request's Host: header) would otherwise run the Redis commands in its body.
    const first = argv[0]!.toLowerCase();
    if ((first === 'post' || first === 'host:') && !c.isLua) {
      this.securityWarning(c);
      return;
    }
    const resolved = this.resolve(argv);
    if (resolved instanceof ErrorReply) {
      // A known command with the wrong arity counts as a rejected call of that command.
      this.reject(c, resolved, this.resolvedSpec ?? undefined);
      return;
    }
    const spec = resolved;
    c.lastCmd = spec.name;
    if (!c.authenticated && !spec.noAuth) {
      this.reject(c, E.NOAUTH, spec);
      return;
    }
    const name = spec.name;
    if (c.multi && spec.flags.has('no_multi')) {
      this.reject(c, err('ERR Command not allowed inside a transaction'), spec);
      return;
    }
    const isExec = name === 'exec';
    const busy = this.scripting?.isBusy() ?? false;
    const denyoom = spec.denyoom || (name.startsWith('eval') && this.scripting.commandDenyOom(name, argv));
    if (Number(this.config.get('maxmemory')) > 0 && !busy) {
      let rejectOnOom = denyoom || (isExec && c.multi !== null && c.multi.hasDenyOom);
      if (c.multi && !isExec && name !== 'discard' && name !== 'quit' && name !== 'reset') rejectOnOom = true;
      const out = this.oom();
      if (out && rejectOnOom) {
        this.reject(c, E.OOM, spec);
        return;
      }
      this.scripting.preCommandOom = out;
    } else if (this.scripting) {
      this.scripting.preCommandOom = false;
    }
    if (c.inPubSub && c.resp === 2 && !PUBSUB_ALLOWED.has(name)) {
      this.reject(c, err(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`), spec);
      return;
    }
    if (busy && !spec.allowBusy) {
      this.reject(c, E.BUSY, spec);
      return;
    }
    if (c.multi && !MULTI_IMMEDIATE.has(name)) {
      c.multi.queue.push({ spec, argv });
      if (spec.write) c.multi.hasWrite = true;
      if (denyoom) c.multi.hasDenyOom = true;
      this.addReply(c, new Status('QUEUED'));
      return;
    }
    this.call(c, spec, argv);
  }

  /** Execute a command for a client: time frozen, stats, MONITOR, blocking, async replies. */
  call(c: Client, spec: CommandSpec, argv: string[]): void {
    c.skipCurrent = c.skipArmed;
    c.skipArmed = false;
    const froze = !this.ks.frozenNow;
    if (froze) this.ks.freeze();
    const dbBefore = c.db;
    let result: HandlerResult;
    try {
      result = this.exec(c, spec, argv, false, false);
    } catch (e) {
      this.log('warning', `internal error in ${spec.name}: ${(e as Error)?.stack ?? e}`);
      result = err(`ERR internal error: ${(e as Error)?.message ?? e}`);
    }
    if (result instanceof Promise) {
      // A script that yielded (lua-time-limit): the client waits; time stays frozen.
      c.pending = true;
      result.then(
        (r) => this.finishAsync(c, spec, argv, r, dbBefore, froze),
        (e) => this.finishAsync(c, spec, argv, err(`ERR ${(e as Error)?.message ?? e}`), dbBefore, froze),
      );
      return;
    }
    if (froze) this.ks.unfreeze();
    this.afterCall(c, spec, argv, result, dbBefore);
  }

  private finishAsync(c: Client, spec: CommandSpec, argv: string[], r: Reply, dbBefore: number, froze: boolean): void {
    if (froze) this.ks.unfreeze();
    c.pending = false;
    this.afterCall(c, spec, argv, r, dbBefore);
    this.resume(c);
  }

  /** Continue with a client's buffered commands after it was blocked or waiting. */
  resume(c: Client): void {
    try {
      this.processInput(c);
    } catch (e) {
      this.log('warning', `internal error while serving client ${c.id}: ${(e as Error)?.stack ?? e}`);
      this.freeClient(c);
    }
  }

  private afterCall(c: Client, spec: CommandSpec, argv: string[], result: Reply | Block, _dbBefore: number): void {
    this.stats.commandsProcessed++;
    spec.calls++;
    if (!spec.skipMonitor && !spec.admin && this.monitors.size > 0) this.feedMonitors(c, argv, c.db);
    if (result instanceof Block) {
      this.block(c, spec, argv, result);
    } else if (result === NO_REPLY) {
      // CLIENT REPLY OFF/SKIP
    } else {
      if (result instanceof ErrorReply) {
        this.countError(result);
        spec.failed++;
      }
      this.addReply(c, result);
    }
    c.skipCurrent = false;
    this.handleClientsBlockedOnKeys();
  }

  /**
   * Run a command's handler. Used for client commands, for commands queued in
   * MULTI (noBlock) and for redis.call from Lua (inScript, with the Lua client).
   */
  exec(c: Client, spec: CommandSpec, argv: string[], inScript: boolean, noBlock: boolean): HandlerResult {
    const db = this.ks.dbs[c.db]!;
    const ctx: Ctx = { srv: this, client: c, db, ks: this.ks, spec, inScript, noBlock: noBlock || inScript };
    const t0 = performance.now();
    try {
      return spec.handler!(ctx, argv);
    } finally {
      spec.usec += (performance.now() - t0) * 1000;
    }
  }

  /** Bookkeeping for a command run inside EXEC. */
  afterQueued(c: Client, spec: CommandSpec, argv: string[], r: Reply): void {
    this.stats.commandsProcessed++;
    spec.calls++;
    if (r instanceof ErrorReply) {
      this.countError(r);
      spec.failed++;
    }
    if (!spec.skipMonitor && !spec.admin && this.monitors.size > 0) this.feedMonitors(c, argv, c.db);
  }

  // -------------------------------------------------------------------------
  // MULTI / EXEC / WATCH support

  discardTransaction(c: Client): void {
    c.multi = null;
    this.unwatchAll(c);
  }

  watch(c: Client, key: string): void {
    if (c.watched.some((w) => w.db === c.db && w.key === key)) return;
    const db = this.ks.dbs[c.db]!;
    const when = db.getExpire(key);
    const entry = { client: c, db: c.db, key, expired: when !== undefined && db.peek(key) !== undefined && when <= this.ks.now() };
    let list = db.watched.get(key);
    if (!list) {
      list = [];
      db.watched.set(key, list);
    }
    list.push(entry);
    c.watched.push(entry);
  }

  unwatchAll(c: Client): void {
    for (const w of c.watched) {
      const db = this.ks.dbs[w.db]!;
      const list = db.watched.get(w.key);
      if (list) {
        const i = list.indexOf(w);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) db.watched.delete(w.key);
      }
    }
    c.watched = [];
    c.dirtyCas = false;
  }

  // -------------------------------------------------------------------------
  // Blocking commands

  private blockKey(db: number, key: string): string {
    return db + '\0' + key;
  }

  private block(c: Client, spec: CommandSpec, argv: string[], b: Block): void {
    const state = { block: b, spec, argv, db: c.db, timer: null as ReturnType<typeof setTimeout> | null };
    c.blocked = state;
    // Read a blocked client again if it used its turn just before (its input waits in the
    // parser, as in Redis's query buffer), or its leaving would go unnoticed and a push would
    // wake a client that is gone.
    if (c.inputPaused && c.sock) {
      c.inputPaused = false;
      c.sock.resume();
    }
    this.stats.totalBlocking++;
    const db = this.ks.dbs[c.db]!;
    for (const key of new Set(b.keys)) {
      const bk = this.blockKey(c.db, key);
      let list = this.blockedOn.get(bk);
      if (!list) {
        list = [];
        this.blockedOn.set(bk, list);
      }
      list.push(c);
      db.blockingKeys.set(key, (db.blockingKeys.get(key) ?? 0) + 1);
    }
    if (b.deadline > 0) {
      const delay = Math.max(0, b.deadline - Date.now());
      state.timer = setTimeout(() => {
        if (c.blocked === state) {
          this.unblock(c, b.timeoutReply);
          this.resume(c);
        }
      }, delay);
    }
  }

  /** Unblock a client, replying `reply` (undefined: no reply, e.g. on disconnect). */
  unblock(c: Client, reply: Reply | undefined): void {
    const state = c.blocked;
    if (!state) return;
    c.blocked = null;
    if (state.timer) clearTimeout(state.timer);
    const db = this.ks.dbs[state.db]!;
    for (const key of new Set(state.block.keys)) {
      const bk = this.blockKey(state.db, key);
      const list = this.blockedOn.get(bk);
      if (list) {
        const i = list.indexOf(c);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.blockedOn.delete(bk);
      }
      const n = (db.blockingKeys.get(key) ?? 1) - 1;
      if (n <= 0) db.blockingKeys.delete(key);
      else db.blockingKeys.set(key, n);
    }
    if (reply !== undefined) this.addReply(c, reply);
  }

  /** Serve clients blocked on keys that were signalled ready (handleClientsBlockedOnKeys). */
  handleClientsBlockedOnKeys(): void {
    let guard = 0;
    while (this.ks.readyKeys.length > 0 && guard++ < 100000) {
      const ready = this.ks.readyKeys;
      this.ks.readyKeys = [];
      const seen = new Set<string>();
      for (const { db, key } of ready) {
        const bk = this.blockKey(db, key);
        if (seen.has(bk)) continue;
        seen.add(bk);
        const list = this.blockedOn.get(bk);
        if (!list) continue;
        for (const c of [...list]) {
          const state = c.blocked;
          if (!state) continue;
          const froze = !this.ks.frozenNow;
          if (froze) this.ks.freeze();
          let r: Reply | undefined;
          try {
            const ctx: Ctx = {
              srv: this,
              client: c,
              db: this.ks.dbs[state.db]!,
              ks: this.ks,
              spec: state.spec,
              inScript: false,
              noBlock: true,
            };
            r = state.block.serve(ctx, key);
          } finally {
            if (froze) this.ks.unfreeze();
          }
          if (r === undefined) continue;
          this.unblock(c, r);
          queueMicrotask(() => this.resume(c));
        }
      }
    }
  }

  /** CLIENT UNBLOCK: timeout (null reply) or error. */
  unblockClient(c: Client, withError: boolean): boolean {
    if (!c.blocked) return false;
    const b = c.blocked.block;
    this.unblock(c, withError ? err('UNBLOCKED client unblocked via CLIENT UNBLOCK') : b.timeoutReply);
    queueMicrotask(() => this.resume(c));
    return true;
  }

  get blockedClients(): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.blocked) n++;
    return n;
  }

  // -------------------------------------------------------------------------
  // Pub/Sub

  publish(channel: string, message: string): number {
    let receivers = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      const msg = sharedFrame(encode(['message', channel, message]));
      for (const c of subs) {
        this.addShared(c, msg);
        receivers++;
      }
    }
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      const msg = sharedFrame(encode(['pmessage', pattern, channel, message]));
      for (const c of clients) {
        this.addShared(c, msg);
        receivers++;
      }
    }
    return receivers;
  }

  /** Drop every subscription; returns the confirmation replies (used when notify). */
  unsubscribeAll(c: Client, notify: boolean): Reply[] {
    const out: Reply[] = [];
    for (const ch of [...c.channels]) {
      const r = this.unsubscribe(c, ch);
      if (notify) out.push(r);
    }
    for (const p of [...c.patterns]) {
      const r = this.punsubscribe(c, p);
      if (notify) out.push(r);
    }
    return out;
  }

  subscribe(c: Client, channel: string): Reply {
    if (!c.channels.has(channel)) {
      c.channels.add(channel);
      let set = this.channels.get(channel);
      if (!set) {
        set = new Set();
        this.channels.set(channel, set);
      }
      set.add(c);
    }
    return ['subscribe', channel, c.subscriptionCount];
  }

  unsubscribe(c: Client, channel: string): Reply {
    if (c.channels.delete(channel)) {
      const set = this.channels.get(channel);
      if (set) {
        set.delete(c);
        if (set.size === 0) this.channels.delete(channel);
      }
    }
    return ['unsubscribe', channel, c.subscriptionCount];
  }

  psubscribe(c: Client, pattern: string): Reply {
    if (!c.patterns.has(pattern)) {
      c.patterns.add(pattern);
      let set = this.patterns.get(pattern);
      if (!set) {
        set = new Set();
        this.patterns.set(pattern, set);
      }
      set.add(c);
    }
    return ['psubscribe', pattern, c.subscriptionCount];
  }

  punsubscribe(c: Client, pattern: string): Reply {
    if (c.patterns.delete(pattern)) {
      const set = this.patterns.get(pattern);
      if (set) {
        set.delete(c);
        if (set.size === 0) this.patterns.delete(pattern);
      }
    }
    return ['punsubscribe', pattern, c.subscriptionCount];
  }

  // -------------------------------------------------------------------------
  // MONITOR

  feedMonitors(c: Client, argv: string[], db: number): void {
    if (this.monitors.size === 0) return;
    const now = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
    const secs = Math.floor(now / 1e6);
    const usec = String(now % 1e6).padStart(6, '0');
    const who = c.isLua ? 'lua' : c.addr;
    const name = argv[0]!.toLowerCase();
    let args: string;
    if (name === 'auth' || (name === 'hello' && argv.length > 2)) {
      // Redis redacts credentials.
      args = argv.map((a, i) => (i === 0 || (name === 'hello' && i === 1) ? repr(a) : '"(redacted)"')).join(' ');
    } else if (name === 'migrate' || name === 'config') {
      args = argv.map((a) => repr(a)).join(' ');
    } else {
      args = argv.map((a) => repr(a)).join(' ');
    }
    // Encoded once into a Buffer every MONITOR client's queue shares (as PUBLISH does): monitors
    // that stop reading hold one copy of each line between them, each charged its full size.
    const line = sharedFrame(encode(new Status(`${secs}.${usec} [${db} ${who}] ${args}`)));
    for (const m of this.monitors) {
      if (m !== c) this.addShared(m, line);
    }
  }

  private eventFlags = 0;

  /** notifyKeyspaceEvent: publish __keyspace@db__:key and/or __keyevent@db__:event. */
  notifyKeyspaceEvent(event: string, key: string, db: number): void {
    const f = this.eventFlags;
    if (f === 0 || !(f & eventClass(event))) return;
    if (f & N.KEYSPACE) this.publish(`__keyspace@${db}__:${key}`, event);
    if (f & N.KEYEVENT) this.publish(`__keyevent@${db}__:${event}`, key);
  }

  /** React to CONFIG SET. */
  configChanged(name: string): void {
    if (name === 'client-output-buffer-limit') this.obufLimits = null;
    if (name === 'notify-keyspace-events') this.eventFlags = parseEventFlags(this.config.get(name) ?? '') ?? 0;
    if (name === 'proto-max-bulk-len') {
      const n = Number(this.config.get(name));
      for (const c of this.clients.values()) c.parser.setMaxBulkLen(n);
    }
    if (name === 'requirepass' && this.authRequired()) {
      // Existing connections stay authenticated, like Redis.
    }
    if (name === 'stream-node-max-bytes' || name === 'stream-node-max-entries') {
      // Read at XADD time.
    }
  }

  // -------------------------------------------------------------------------
  // Periodic work

  private serverCron(): void {
    this.clientBuffers = this.clientBuffersBytes();
    this.peakMemory();
    this.reclaimer?.tick(Date.now(), this.clientBuffers, this.stats.commandsProcessed);
    // The soft limit is a duration: clients over it are checked even when nothing new is sent.
    for (const c of this.clients.values()) if (c.obufSoftSince !== 0) this.outputBufferOverLimit(c);
    if (this.scripting?.isBusy() || this.ks.frozenNow) return;
    const removed = this.ks.activeExpireCycle(200);
    if (removed > 0) this.handleClientsBlockedOnKeys();
    const timeout = Number(this.config.get('timeout'));
    if (timeout > 0) {
      const now = Date.now();
      for (const c of this.clients.values()) {
        if (c.blocked || c.inPubSub || c.monitor) continue;
        if (now - c.lastInteraction > timeout * 1000) this.freeClient(c);
      }
    }
  }

  /** SHUTDOWN from a client: stop serving, then tell the host. */
  async shutdown(): Promise<void> {
    this.log('warning', 'User requested shutdown...');
    await this.close();
    this.onShutdown?.();
  }

  async close(): Promise<void> {
    if (this.cron) clearInterval(this.cron);
    this.cron = null;
    for (const c of [...this.clients.values()]) this.freeClient(c);
    this.scripting?.close();
    if (this.netServer) {
      const s = this.netServer;
      this.netServer = null;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}

/** Say why, then close for good (a socket left half-open and unread would hold close()). */
function refuseConnection(sock: net.Socket, reply: string): void {
  sock.on('error', () => {});
  sock.end(reply, () => sock.destroy());
}

export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || a.startsWith('127.');
}

const DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/**
 * Commands one client may run before the others get a turn. Redis handles one read (16 KB, some
 * 450 small SETs) per client per event; a few hundred keeps a pipeline fast and a PING near.
 */
export const COMMANDS_PER_TURN = 500;

/** Bytes a streamed reply may leave waiting in a socket before the next piece is made. */
const STREAM_HIGH_WATER = 1024 * 1024;

/** Redis's used_memory of an empty instance, so INFO looks familiar. */
const BASE_MEMORY = 870000;

const PUBSUB_ALLOWED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

function checkArity(spec: CommandSpec, argv: string[]): CommandSpec | ErrorReply {
  const n = argv.length;
  if ((spec.arity > 0 && spec.arity !== n) || n < -spec.arity) return wrongArity(spec.name);
  return spec;
}


/** Start a broker listening on TCP. */
export async function createBroker(opts: BrokerOptions = {}): Promise<Broker> {
  const srv = new Server(opts);
  srv.scripting = await Scripting.create(srv, opts.wasmPath);
  await srv.listen(opts.port ?? 6379, opts.host ?? '127.0.0.1');
  return {
    port: srv.port,
    host: srv.host,
    server: srv,
    close: () => srv.close(),
  };
}

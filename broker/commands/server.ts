// Connection and server commands: PING, ECHO, SELECT, AUTH, HELLO, QUIT, RESET,
// CLIENT, INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, TIME, MONITOR, COMMAND, ...

import { createHash, timingSafeEqual } from 'node:crypto';
import { E, ErrorReply, NO_REPLY, OK, PONG, Status, err, type Reply } from '../resp/reply.ts';
import { bytesToHuman, cstr } from '../util/repr.ts';
import { globMatch } from '../util/glob.ts';
import type { Client } from '../client.ts';
import type { Server } from '../server.ts';
import { commandKeys, type CommandSpec, type Handler } from './registry.ts';
import { eq, intArg, isErr } from './util.ts';

export const REDIS_VERSION = '7.0.15';

const ping: Handler = (ctx, argv) => {
  if (argv.length > 2) return err(`ERR wrong number of arguments for 'ping' command`);
  if (ctx.client.inPubSub && ctx.client.resp === 2) return ['pong', argv.length === 2 ? argv[1]! : ''];
  return argv.length === 2 ? argv[1]! : PONG;
};

const select: Handler = (ctx, argv) => {
  const id = intArg(argv[1]!);
  if (isErr(id)) return err('ERR value is not an integer or out of range');
  if (id < 0 || id >= ctx.ks.dbs.length) return E.DB_RANGE;
  ctx.client.db = id;
  return OK;
};

function checkPassword(srv: Server, user: string, pass: string): boolean {
  if (user !== 'default') return false;
  const required = srv.config.get('requirepass') ?? '';
  return required === '' || sameSecret(pass, required);
}

/** Compare secrets in time that does not depend on where they differ (both hashed to equal length). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(Buffer.from(a, 'latin1')).digest();
  const hb = createHash('sha256').update(Buffer.from(b, 'latin1')).digest();
  return timingSafeEqual(ha, hb);
}

const WRONGPASS = err('WRONGPASS invalid username-password pair or user is disabled.');

const auth: Handler = (ctx, argv) => {
  if (argv.length > 3) return E.SYNTAX;
  const required = ctx.srv.config.get('requirepass') ?? '';
  if (argv.length === 2) {
    if (required === '') {
      return err('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    }
    if (sameSecret(argv[1]!, required)) {
      ctx.client.authenticated = true;
      return OK;
    }
    return WRONGPASS;
  }
  if (checkPassword(ctx.srv, argv[1]!, argv[2]!)) {
    ctx.client.authenticated = true;
    return OK;
  }
  return WRONGPASS;
};

const hello: Handler = (ctx, argv) => {
  const c = ctx.client;
  let ver = 0;
  let i = 1;
  if (argv.length >= 2) {
    const v = intArg(argv[1]!);
    if (isErr(v)) return err('ERR Protocol version is not an integer or out of range');
    ver = v;
    i = 2;
    // RESP3 is not implemented: answer like a server that does not know it.
    if (ver < 2 || ver > 2) return err('NOPROTO unsupported protocol version');
  }
  let setname: string | null = null;
  let authUser: string | null = null;
  let authPass: string | null = null;
  for (; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const opt = argv[i]!;
    if (eq(opt, 'auth') && more >= 2) {
      authUser = argv[i + 1]!;
      authPass = argv[i + 2]!;
      i += 2;
    } else if (eq(opt, 'setname') && more >= 1) {
      setname = argv[i + 1]!;
      i += 1;
    } else {
      return err(`ERR Syntax error in HELLO option '${cstr(opt)}'`);
    }
  }
  if (authUser !== null) {
    if (!checkPassword(ctx.srv, authUser, authPass!)) return WRONGPASS;
    c.authenticated = true;
  }
  if (!c.authenticated) {
    return err(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (setname !== null) {
    const bad = validateName(setname);
    if (bad) return bad;
  }
  if (setname !== null) c.name = setname;
  return ['server', 'redis', 'version', REDIS_VERSION, 'proto', 2, 'id', c.id, 'mode', 'standalone', 'role', 'master', 'modules', []];
};

const quit: Handler = (ctx) => {
  ctx.client.closeAfterReply = true;
  return OK;
};

const reset: Handler = (ctx) => {
  const c = ctx.client;
  const srv = ctx.srv;
  c.multi = null;
  srv.unwatchAll(c);
  srv.unsubscribeAll(c, false);
  if (c.monitor) {
    c.monitor = false;
    srv.monitors.delete(c);
  }
  c.db = 0;
  c.resp = 2;
  c.name = '';
  c.replyMode = 'on';
  c.authenticated = !srv.authRequired();
  return new Status('RESET');
};

function validateName(name: string, what = 'Client names'): ErrorReply | null {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return err(`ERR ${what} cannot contain spaces, newlines or special characters.`);
  }
  return null;
}

function clientFlags(c: Client, srv: Server): string {
  let f = '';
  if (c.monitor) f += 'O';
  if (c.inPubSub) f += 'P';
  if (c.multi) f += 'x';
  if (c.blocked) f += 'b';
  if (c.dirtyCas) f += 'd';
  if (c.closeAfterReply) f += 'c';
  if (srv.scripting?.busyClient === c) f += '';
  return f || 'N';
}

export function clientInfoLine(c: Client, srv: Server): string {
  const now = Date.now();
  const age = Math.floor((now - c.createdAt) / 1000);
  const idle = Math.floor((now - c.lastInteraction) / 1000);
  const multi = c.multi ? c.multi.queue.length : -1;
  // Output waiting for the client (omem), part of what it costs the server (tot-mem); a client
  // with output waiting is also watched for writability (events=rw), as in Redis.
  const omem = srv.outputBufferBytes(c);
  const qbuf = c.parser.buffered;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} age=${age} idle=${idle} flags=${clientFlags(c, srv)} ` +
    `db=${c.db} sub=${c.channels.size} psub=${c.patterns.size} ssub=0 multi=${multi} qbuf=${qbuf} qbuf-free=0 ` +
    `argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=${omem} tot-mem=${22298 + qbuf + omem} events=${omem > 0 ? 'rw' : 'r'} cmd=${c.lastCmd} user=default ` +
    `redir=-1 resp=${c.resp} lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

const clientHandlers: Record<string, Handler> = {
  'client|id': (ctx) => ctx.client.id,
  'client|getname': (ctx) => (ctx.client.name === '' ? null : ctx.client.name),
  'client|setname': (ctx, argv) => {
    const name = argv[2]!;
    const bad = validateName(name);
    if (bad) return bad;
    ctx.client.name = name;
    return OK;
  },
  'client|setinfo': (ctx, argv) => {
    const attr = argv[2]!.toLowerCase();
    const val = argv[3]!;
    if (attr !== 'lib-name' && attr !== 'lib-ver') return err(`ERR Unrecognized option '${cstr(argv[2]!)}'`);
    const bad = validateName(val, attr);
    if (bad) return bad;
    if (attr === 'lib-name') ctx.client.libName = val;
    else ctx.client.libVer = val;
    return OK;
  },
  'client|info': (ctx) => clientInfoLine(ctx.client, ctx.srv) + '\n',
  'client|list': (ctx, argv) => {
    let clients = [...ctx.srv.clients.values()];
    for (let i = 2; i < argv.length; i++) {
      if (eq(argv[i]!, 'type') && i + 1 < argv.length) {
        const t = argv[++i]!.toLowerCase();
        if (t === 'normal') clients = clients.filter((c) => !c.inPubSub);
        else if (t === 'pubsub') clients = clients.filter((c) => c.inPubSub);
        else if (t === 'master' || t === 'replica' || t === 'slave') clients = [];
        else return err(`ERR Unknown client type '${cstr(argv[i]!)}'`);
      } else if (eq(argv[i]!, 'id') && i + 1 < argv.length) {
        const ids = new Set<number>();
        for (i++; i < argv.length; i++) {
          const id = intArg(argv[i]!);
          if (isErr(id) || id <= 0) return err('ERR Invalid client ID');
          ids.add(id);
        }
        clients = clients.filter((c) => ids.has(c.id));
      } else {
        return E.SYNTAX;
      }
    }
    return clients.map((c) => clientInfoLine(c, ctx.srv) + '\n').join('');
  },
  'client|kill': (ctx, argv) => {
    const srv = ctx.srv;
    if (argv.length === 3) {
      const target = [...srv.clients.values()].find((c) => c.addr === argv[2]);
      if (!target) return err('ERR No such client');
      killClient(srv, target, ctx.client);
      return OK;
    }
    let id: number | null = null;
    let addr: string | null = null;
    let laddr: string | null = null;
    let type: string | null = null;
    let skipme = true;
    let maxage: number | null = null;
    for (let i = 2; i < argv.length; i += 2) {
      if (i + 1 >= argv.length) return E.SYNTAX;
      const opt = argv[i]!.toLowerCase();
      const val = argv[i + 1]!;
      if (opt === 'id') {
        const v = intArg(val);
        if (isErr(v) || v <= 0) return err('ERR client-id should be greater than 0');
        id = v;
      } else if (opt === 'addr') addr = val;
      else if (opt === 'laddr') laddr = val;
      else if (opt === 'type') {
        type = val.toLowerCase();
        if (!['normal', 'pubsub', 'master', 'replica', 'slave'].includes(type)) return err(`ERR Unknown client type '${cstr(val)}'`);
      } else if (opt === 'user') {
        if (val !== 'default') return err(`ERR No such user '${cstr(val)}'`);
      } else if (opt === 'skipme') {
        const v = val.toLowerCase();
        if (v === 'yes') skipme = true;
        else if (v === 'no') skipme = false;
        else return E.SYNTAX;
      } else if (opt === 'maxage') {
        const v = intArg(val);
        if (isErr(v)) return v;
        maxage = v;
      } else return E.SYNTAX;
    }
    let killed = 0;
    for (const c of [...srv.clients.values()]) {
      if (id !== null && c.id !== id) continue;
      if (addr !== null && c.addr !== addr) continue;
      if (laddr !== null && c.laddr !== laddr) continue;
      if (type === 'normal' && c.inPubSub) continue;
      if (type === 'pubsub' && !c.inPubSub) continue;
      if (type === 'master' || type === 'replica' || type === 'slave') continue;
      if (maxage !== null && (Date.now() - c.createdAt) / 1000 < maxage) continue;
      if (skipme && c === ctx.client) continue;
      killClient(srv, c, ctx.client);
      killed++;
    }
    return killed;
  },
  'client|reply': (ctx, argv) => {
    const m = argv[2]!.toLowerCase();
    if (m === 'on') {
      // ON also cancels a pending SKIP, and is itself answered.
      ctx.client.replyMode = 'on';
      ctx.client.skipArmed = false;
      ctx.client.skipCurrent = false;
      return OK;
    }
    if (m === 'off') {
      ctx.client.replyMode = 'off';
      return NO_REPLY;
    }
    if (m === 'skip') {
      if (ctx.client.replyMode !== 'off') ctx.client.skipArmed = true;
      return NO_REPLY;
    }
    return E.SYNTAX;
  },
  'client|unblock': (ctx, argv) => {
    const id = intArg(argv[2]!);
    if (isErr(id)) return err('ERR value is not an integer or out of range');
    let withError = false;
    if (argv.length === 4) {
      const m = argv[3]!.toLowerCase();
      if (m === 'error') withError = true;
      else if (m !== 'timeout') return err('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
    } else if (argv.length > 4) return E.SYNTAX;
    const target = ctx.srv.clients.get(id);
    if (!target) return 0;
    return ctx.srv.unblockClient(target, withError) ? 1 : 0;
  },
  'client|pause': () => OK,
  'client|unpause': () => OK,
  'client|no-evict': (_ctx, argv) => {
    const m = argv[2]!.toLowerCase();
    if (m !== 'on' && m !== 'off') return E.SYNTAX;
    return OK;
  },
  'client|getredir': () => -1,
  'client|help': () => [
    'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'GETNAME',
    '    Return the name of the current connection.',
    'ID',
    '    Return the ID of the current connection.',
    'INFO',
    '    Return information about the current client connection.',
    'KILL <ip:port>',
    '    Kill connection made from <ip:port>.',
    'LIST [options ...]',
    '    Return information about client connections.',
    'SETNAME <name>',
    '    Assign the name <name> to the current connection.',
    'SETINFO <LIB-NAME|LIB-VER> <value>',
    '    Set client library name or version.',
    'UNBLOCK <clientid> [TIMEOUT|ERROR]',
    '    Unblock the specified blocked client.',
    'HELP',
    '    Print this help.',
  ],
};


function killClient(srv: Server, target: Client, self: Client): void {
  if (target === self) {
    target.closeAfterReply = true;
    return;
  }
  srv.freeClient(target);
}

// ---------------------------------------------------------------------------
// INFO

function infoSection(srv: Server, name: string): string | null {
  const lines: string[] = [];
  const add = (k: string, v: string | number) => lines.push(`${k}:${v}`);
  const now = Date.now();
  switch (name) {
    case 'server': {
      add('redis_version', REDIS_VERSION);
      add('redis_git_sha1', '00000000');
      add('redis_git_dirty', 0);
      add('redis_build_id', '0');
      add('redis_mode', 'standalone');
      add('os', 'Hotpot embedded broker (JavaScript)');
      add('arch_bits', 64);
      add('monotonic_clock', 'POSIX clock_gettime');
      add('multiplexing_api', 'node');
      add('atomicvar_api', 'c11-builtin');
      add('gcc_version', '0.0.0');
      add('process_id', typeof process !== 'undefined' ? process.pid : 1);
      add('process_supervised', 'no');
      add('run_id', srv.runId);
      add('tcp_port', srv.port);
      add('server_time_usec', now * 1000);
      add('uptime_in_seconds', Math.floor((now - srv.startedAt) / 1000));
      add('uptime_in_days', Math.floor((now - srv.startedAt) / 86400000));
      add('hz', srv.config.get('hz')!);
      add('configured_hz', srv.config.get('hz')!);
      add('lru_clock', Math.floor(now / 1000) & 0xffffff);
      add('executable', '');
      add('config_file', '');
      add('io_threads_active', 0);
      break;
    }
    case 'clients': {
      add('connected_clients', srv.clients.size);
      add('cluster_connections', 0);
      add('maxclients', srv.config.get('maxclients')!);
      add('client_recent_max_input_buffer', 0);
      add('client_recent_max_output_buffer', 0);
      add('blocked_clients', srv.blockedClients);
      add('tracking_clients', 0);
      add('clients_in_timeout_table', 0);
      break;
    }
    case 'memory': {
      const used = srv.usedMemory();
      const max = Number(srv.config.get('maxmemory'));
      add('used_memory', used);
      add('used_memory_human', bytesToHuman(used));
      // The process's resident set (the whole JavaScript runtime, the broker's share of it
      // included), and the highest used_memory seen, as Redis reports them.
      const rss = srv.rss();
      const peak = srv.peakMemory(used);
      add('used_memory_rss', rss);
      add('used_memory_rss_human', bytesToHuman(rss));
      add('used_memory_peak', peak);
      add('used_memory_peak_human', bytesToHuman(peak));
      add('used_memory_peak_perc', `${((used / peak) * 100).toFixed(2)}%`);
      add('used_memory_startup', 870000);
      add('used_memory_dataset', Math.max(0, used - 870000));
      add('used_memory_lua', srv.scripting?.memoryUsage() ?? 0);
      add('used_memory_vm_eval', srv.scripting?.vmBytes() ?? 0);
      add('used_memory_lua_human', bytesToHuman(srv.scripting?.memoryUsage() ?? 0));
      add('mem_clients_slaves', 0);
      add('mem_clients_normal', srv.clientBuffersBytes());
      add('number_of_cached_scripts', srv.scripting?.scriptCount() ?? 0);
      add('maxmemory', max);
      add('maxmemory_human', bytesToHuman(max));
      add('maxmemory_policy', srv.config.get('maxmemory-policy')!);
      add('mem_fragmentation_ratio', (rss / used).toFixed(2));
      add('mem_allocator', 'js');
      add('lazyfree_pending_objects', 0);
      break;
    }
    case 'persistence': {
      add('loading', 0);
      add('async_loading', 0);
      add('rdb_changes_since_last_save', 0);
      add('rdb_bgsave_in_progress', 0);
      add('rdb_last_save_time', Math.floor(srv.startedAt / 1000));
      add('rdb_last_bgsave_status', 'ok');
      add('aof_enabled', 0);
      add('aof_rewrite_in_progress', 0);
      add('aof_rewrite_scheduled', 0);
      add('aof_last_write_status', 'ok');
      break;
    }
    case 'stats': {
      const st = srv.stats;
      add('total_connections_received', st.connectionsReceived);
      add('total_commands_processed', st.commandsProcessed);
      add('instantaneous_ops_per_sec', 0);
      add('total_net_input_bytes', st.netInputBytes);
      add('total_net_output_bytes', st.netOutputBytes);
      add('rejected_connections', st.rejectedConnections);
      add('expired_keys', srv.ks.stats.expiredKeys);
      add('evicted_keys', 0);
      add('keyspace_hits', srv.ks.stats.hits);
      add('keyspace_misses', srv.ks.stats.misses);
      add('pubsub_channels', srv.channels.size);
      add('pubsub_patterns', srv.patterns.size);
      add('total_error_replies', st.errorReplies);
      add('total_blocking_keys', srv.blockedOn.size);
      break;
    }
    case 'replication': {
      add('role', 'master');
      add('connected_slaves', 0);
      add('master_failover_state', 'no-failover');
      add('master_replid', srv.runId);
      add('master_replid2', '0000000000000000000000000000000000000000');
      add('master_repl_offset', 0);
      add('second_repl_offset', -1);
      add('repl_backlog_active', 0);
      break;
    }
    case 'cpu': {
      const u = typeof process !== 'undefined' && process.cpuUsage ? process.cpuUsage() : { user: 0, system: 0 };
      add('used_cpu_sys', (u.system / 1e6).toFixed(6));
      add('used_cpu_user', (u.user / 1e6).toFixed(6));
      break;
    }
    case 'modules':
      break;
    case 'errorstats':
      for (const [code, n] of [...srv.errorStats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) add(`errorstat_${code}`, `count=${n}`);
      break;
    case 'cluster':
      add('cluster_enabled', 0);
      break;
    case 'keyspace': {
      for (const db of srv.ks.dbs) {
        if (db.size === 0) continue;
        add(`db${db.id}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=0`);
      }
      break;
    }
    case 'commandstats': {
      const walk = (spec: CommandSpec) => {
        if (spec.calls > 0 || spec.rejected > 0 || spec.failed > 0) {
          const usec = Math.round(spec.usec);
          const per = spec.calls > 0 ? (spec.usec / spec.calls).toFixed(2) : '0.00';
          add(`cmdstat_${spec.name}`, `calls=${spec.calls},usec=${usec},usec_per_call=${per},rejected_calls=${spec.rejected},failed_calls=${spec.failed}`);
        }
        if (spec.subcommands) for (const s of spec.subcommands.values()) walk(s);
      };
      for (const spec of srv.registry.commands.values()) walk(spec);
      break;
    }
    default:
      return null;
  }
  const title = name === 'errorstats' ? 'Errorstats' : name === 'commandstats' ? 'Commandstats' : name[0]!.toUpperCase() + name.slice(1);
  return `# ${title}\r\n` + lines.map((l) => l + '\r\n').join('');
}

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];

export function genInfo(srv: Server, args: string[]): string {
  let sections: string[] = [];
  if (args.length === 0) sections = DEFAULT_SECTIONS;
  for (const a of args) {
    const s = a.toLowerCase();
    if (s === 'default') sections.push(...DEFAULT_SECTIONS);
    else if (s === 'all' || s === 'everything') sections.push(...DEFAULT_SECTIONS, 'commandstats');
    else sections.push(s);
  }
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const s of sections) {
    if (seen.has(s)) continue;
    seen.add(s);
    const txt = infoSection(srv, s);
    if (txt !== null) parts.push(txt);
  }
  return parts.join('\r\n');
}

// ---------------------------------------------------------------------------
// CONFIG

const configHandlers: Record<string, Handler> = {
  'config|get': (ctx, argv) => ctx.srv.config.getMatching(argv.slice(2)),
  'config|set': (ctx, argv) => {
    const cfg = ctx.srv.config;
    if ((argv.length - 2) % 2 !== 0) return err(`ERR wrong number of arguments for 'config|set' command`);
    const pending: [string, string][] = [];
    const seen = new Set<string>();
    for (let i = 2; i < argv.length; i += 2) {
      const name = argv[i]!.toLowerCase();
      if (!cfg.has(name)) return err(`ERR Unknown option or number of arguments for CONFIG SET - '${cstr(argv[i]!)}'`);
      if (seen.has(name)) return err(`ERR Duplicate parameter - '${cstr(argv[i]!)}'`);
      seen.add(name);
      if (!cfg.isSettable(name)) return err(`ERR CONFIG SET failed (possibly related to argument '${cstr(argv[i]!)}') - can't set immutable config`);
      const v = cfg.validate(name, argv[i + 1]!);
      if ('error' in v) return err(`ERR CONFIG SET failed (possibly related to argument '${cstr(argv[i]!)}') - ${v.error}`);
      pending.push([name, v.ok]);
    }
    for (const [name, value] of pending) {
      cfg.set(name, value);
      ctx.srv.configChanged(name);
    }
    return OK;
  },
  'config|resetstat': (ctx) => {
    const st = ctx.srv.stats;
    st.commandsProcessed = 0;
    st.connectionsReceived = 0;
    st.errorReplies = 0;
    ctx.ks.stats.hits = 0;
    ctx.ks.stats.misses = 0;
    ctx.ks.stats.expiredKeys = 0;
    // INFO commandstats starts over too, as in Redis.
    ctx.srv.errorStats.clear();
    const reset = (spec: CommandSpec) => {
      spec.calls = 0;
      spec.usec = 0;
      spec.rejected = 0;
      spec.failed = 0;
      if (spec.subcommands) for (const sub of spec.subcommands.values()) reset(sub);
    };
    for (const spec of ctx.srv.registry.commands.values()) reset(spec);
    return OK;
  },
  'config|rewrite': () => err('ERR The server is running without a config file'),
  'config|help': () => [
    'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'GET <pattern>',
    '    Return parameters matching the glob-like <pattern> and their values.',
    'SET <directive> <value>',
    '    Set the configuration <directive> to <value>.',
    'RESETSTAT',
    '    Reset statistics reported by the INFO command.',
    'REWRITE',
    '    Rewrite the configuration file.',
    'HELP',
    '    Print this help.',
  ],
};

// ---------------------------------------------------------------------------
// COMMAND

function commandInfo(spec: CommandSpec): Reply {
  const flags = [...spec.flags].map((f) => new Status(f));
  const subs = spec.subcommands ? [...spec.subcommands.values()].map(commandInfo) : [];
  return [spec.name, spec.arity, flags, spec.firstKey, spec.lastKey, spec.keyStep, [], [], [], subs];
}

const commandHandlers: Record<string, Handler> = {
  command: (ctx) => [...ctx.srv.registry.commands.values()].map(commandInfo),
  'command|count': (ctx) => ctx.srv.registry.commands.size,
  'command|list': (ctx, argv) => {
    const names: string[] = [];
    for (const s of ctx.srv.registry.commands.values()) {
      names.push(s.name);
      if (s.subcommands) for (const sub of s.subcommands.values()) names.push(sub.name);
    }
    if (argv.length === 2) return names;
    if (argv.length === 5 && eq(argv[2]!, 'filterby') && eq(argv[3]!, 'pattern')) return names.filter((n) => globMatch(argv[4]!, n, true));
    return E.SYNTAX;
  },
  'command|info': (ctx, argv) => {
    if (argv.length === 2) return [...ctx.srv.registry.commands.values()].map(commandInfo);
    return argv.slice(2).map((n) => {
      const [base, sub] = n.toLowerCase().split('|');
      const spec = ctx.srv.registry.lookup(base!);
      const s = sub !== undefined ? spec?.subcommands?.get(sub) : spec;
      return s ? commandInfo(s) : null;
    });
  },
  'command|docs': () => [],
  'command|getkeys': (ctx, argv) => {
    const target = argv.slice(2);
    const spec = ctx.srv.resolve(target);
    if (spec instanceof ErrorReply) return err('ERR Invalid command specified');
    const keys = commandKeys(spec, target);
    if (keys.length === 0) return err('ERR The command has no key arguments');
    return keys;
  },
};

// ---------------------------------------------------------------------------

function flushArgs(argv: string[]): ErrorReply | null {
  if (argv.length > 2) return E.SYNTAX;
  if (argv.length === 2) {
    const m = argv[1]!.toLowerCase();
    if (m !== 'async' && m !== 'sync') return E.SYNTAX;
  }
  return null;
}

export const commands: Record<string, Handler> = {
  ping,
  echo: (_ctx, argv) => argv[1]!,
  select,
  auth,
  hello,
  quit,
  reset,
  ...clientHandlers,
  ...configHandlers,
  ...commandHandlers,
  info: (ctx, argv) => genInfo(ctx.srv, argv.slice(1)),
  dbsize: (ctx) => ctx.db.size,
  flushdb: (ctx, argv) => {
    const e = flushArgs(argv);
    if (e) return e;
    ctx.db.touchAllWatched(null);
    ctx.db.flush();
    return OK;
  },
  flushall: (ctx, argv) => {
    const e = flushArgs(argv);
    if (e) return e;
    ctx.ks.flushAll();
    return OK;
  },
  swapdb: (ctx, argv) => {
    const a = intArg(argv[1]!);
    if (isErr(a)) return err('ERR invalid first DB index');
    const b = intArg(argv[2]!);
    if (isErr(b)) return err('ERR invalid second DB index');
    const n = ctx.ks.dbs.length;
    if (a < 0 || a >= n || b < 0 || b >= n) return err('ERR DB index is out of range');
    if (a === b) return OK;
    ctx.ks.swapDbs(a, b);
    return OK;
  },
  time: () => {
    const us = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
    return [String(Math.floor(us / 1e6)), String(us % 1e6)];
  },
  lastsave: (ctx) => Math.floor(ctx.srv.startedAt / 1000),
  save: () => OK,
  bgsave: () => new Status('Background saving started'),
  bgrewriteaof: () => new Status('Background append only file rewriting started'),
  role: () => ['master', 0, []],
  wait: (_ctx, argv) => {
    const n = intArg(argv[1]!);
    if (isErr(n)) return n;
    const t = intArg(argv[2]!);
    if (isErr(t)) return err('ERR timeout is not an integer or out of range');
    if (t < 0) return err('ERR timeout is negative');
    return 0;
  },
  monitor: (ctx) => {
    const c = ctx.client;
    if (c.monitor) return OK;
    c.monitor = true;
    ctx.srv.monitors.add(c);
    return OK;
  },
  shutdown: (ctx, argv) => {
    let abort = false;
    for (const a of argv.slice(1)) {
      const o = a.toLowerCase();
      if (o === 'abort') abort = true;
      else if (!['nosave', 'save', 'now', 'force'].includes(o)) return E.SYNTAX;
    }
    if (abort) return argv.length === 2 ? err('ERR No shutdown in progress.') : E.SYNTAX;
    ctx.client.closeAfterReply = true;
    setImmediate(() => void ctx.srv.shutdown());
    return NO_REPLY;
  },
  debug: () =>
    err(
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    ),
  readonly: () => OK,
  readwrite: () => OK,
  lolwut: () => `Redis ver. ${REDIS_VERSION}\n`,
};


// Command table: every implemented command gets Redis 7's arity, flags and key
// positions from table.ts (generated from a real redis-server), plus its
// handler from one of the family files.

import type { Reply } from '../resp/reply.ts';
import type { Database, Keyspace } from '../store/keyspace.ts';
import type { Client } from '../client.ts';
import type { Server } from '../server.ts';
import { COMMAND_TABLE, type CommandRow } from './table.ts';

export interface Ctx {
  srv: Server;
  client: Client;
  db: Database;
  ks: Keyspace;
  spec: CommandSpec;
  /** Called from a Lua script. */
  inScript: boolean;
  /** Blocking commands must not block (inside MULTI/EXEC or a script). */
  noBlock: boolean;
}

/** Returned by blocking commands that have to wait. */
export class Block {
  readonly keys: string[];
  /** Absolute deadline in ms since the epoch, 0 for none. */
  readonly deadline: number;
  /** Try to serve the client from the key that became ready; undefined means keep waiting. */
  readonly serve: (ctx: Ctx, key: string) => Reply | undefined;
  readonly timeoutReply: Reply;
  constructor(keys: string[], deadline: number, serve: (ctx: Ctx, key: string) => Reply | undefined, timeoutReply: Reply) {
    this.keys = keys;
    this.deadline = deadline;
    this.serve = serve;
    this.timeoutReply = timeoutReply;
  }
}

export type HandlerResult = Reply | Block | Promise<Reply>;
export type Handler = (ctx: Ctx, argv: string[]) => HandlerResult;

export interface CommandSpec {
  /** Lower-case full name, "get" or "client|setname". */
  name: string;
  arity: number;
  flags: ReadonlySet<string>;
  write: boolean;
  denyoom: boolean;
  noscript: boolean;
  allowBusy: boolean;
  noAuth: boolean;
  admin: boolean;
  skipMonitor: boolean;
  blocking: boolean;
  firstKey: number;
  lastKey: number;
  keyStep: number;
  handler: Handler | null;
  subcommands: Map<string, CommandSpec> | null;
  /** INFO commandstats: calls, time spent (µs), refused before running, run and answered an error. */
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

function makeSpec(row: CommandRow, handler: Handler | null): CommandSpec {
  const [name, arity, flagStr, firstKey, lastKey, keyStep] = row;
  const flags = new Set(flagStr.split(' ').filter(Boolean));
  return {
    name,
    arity,
    flags,
    write: flags.has('write'),
    denyoom: flags.has('denyoom'),
    noscript: flags.has('noscript'),
    allowBusy: flags.has('allow_busy'),
    noAuth: flags.has('no_auth'),
    admin: flags.has('admin'),
    skipMonitor: flags.has('skip_monitor'),
    blocking: flags.has('blocking'),
    firstKey,
    lastKey,
    keyStep,
    handler,
    subcommands: null,
    calls: 0,
    usec: 0,
    rejected: 0,
    failed: 0,
  };
}

/** Rows for commands newer than the table (Redis 7.2+). */
const EXTRA_ROWS: CommandRow[] = [['client|setinfo', 4, 'noscript loading stale', 0, 0, 0]];

export class Registry {
  readonly commands = new Map<string, CommandSpec>();
  private readonly rows = new Map<string, CommandRow>();

  constructor() {
    for (const row of COMMAND_TABLE) this.rows.set(row[0], row);
    for (const row of EXTRA_ROWS) this.rows.set(row[0], row);
  }

  /** Register handlers; names are lower case, subcommands as "parent|sub". */
  add(handlers: Record<string, Handler>): void {
    for (const [name, handler] of Object.entries(handlers)) {
      const row = this.rows.get(name);
      if (!row) throw new Error(`no command table row for ${name}`);
      const bar = name.indexOf('|');
      if (bar < 0) {
        const existing = this.commands.get(name);
        if (existing) existing.handler = handler;
        else this.commands.set(name, makeSpec(row, handler));
      } else {
        const parentName = name.slice(0, bar);
        let parent = this.commands.get(parentName);
        if (!parent) {
          const prow = this.rows.get(parentName);
          if (!prow) throw new Error(`no command table row for ${parentName}`);
          parent = makeSpec(prow, null);
          this.commands.set(parentName, parent);
        }
        parent.subcommands ??= new Map();
        parent.subcommands.set(name.slice(bar + 1), makeSpec(row, handler));
      }
    }
  }

  lookup(name: string): CommandSpec | undefined {
    return this.commands.get(name.toLowerCase());
  }
}

/** Key names of argv for a command (first/last/step from the table). */
export function commandKeys(spec: CommandSpec, argv: string[]): string[] {
  if (spec.firstKey <= 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: string[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.keyStep || 1) out.push(argv[i]!);
  return out;
}

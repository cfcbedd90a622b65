// CONFIG GET/SET parameters. Only parameters the broker honours are settable;
// a few read-only ones are reported so clients that probe them are happy.

import { globMatch } from './util/glob.ts';
import { parseMemory } from './util/repr.ts';
import { eventFlagsToString, parseEventFlags } from './notify.ts';

type Kind = 'memory' | 'int' | 'bool' | 'string' | 'enum' | 'readonly' | 'events' | 'obuf';

interface Param {
  kind: Kind;
  value: string;
  values?: string[];
  min?: number;
  max?: number;
  alias?: string;
}

const P = (kind: Kind, value: string, extra: Partial<Param> = {}): Param => ({ kind, value, ...extra });

export class Config {
  private readonly params = new Map<string, Param>([
    ['maxmemory', P('memory', '0')],
    [
      'maxmemory-policy',
      P('enum', 'noeviction', {
        values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
      }),
    ],
    ['maxmemory-samples', P('int', '5', { min: 1, max: 64 })],
    ['maxclients', P('int', '10000', { min: 1 })],
    ['requirepass', P('string', '')],
    ['port', P('readonly', '6379')],
    ['bind', P('readonly', '127.0.0.1')],
    ['databases', P('readonly', '16')],
    ['timeout', P('int', '0', { min: 0 })],
    ['tcp-keepalive', P('int', '300', { min: 0 })],
    ['save', P('string', '')],
    ['appendonly', P('bool', 'no')],
    ['appendfsync', P('enum', 'everysec', { values: ['always', 'everysec', 'no'] })],
    ['dir', P('readonly', '/')],
    ['dbfilename', P('string', 'dump.rdb')],
    ['loglevel', P('enum', 'notice', { values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] })],
    ['notify-keyspace-events', P('events', '')],
    ['busy-reply-threshold', P('int', '5000', { min: 0, alias: 'lua-time-limit' })],
    ['lua-time-limit', P('int', '5000', { min: 0, alias: 'busy-reply-threshold' })],
    ['proto-max-bulk-len', P('memory', String(64 * 1024 * 1024), { min: 1024 * 1024, max: 64 * 1024 * 1024 })],
    // Redis's defaults: normal clients unlimited, pub/sub clients dropped past 32 MB, or past
    // 8 MB for 60 s (the replica class is kept for CONFIG GET; there are no replicas).
    ['client-output-buffer-limit', P('obuf', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60')],
    ['client-query-buffer-limit', P('memory', String(1024 * 1024 * 1024), { min: 1024 * 1024 })],
    ['stream-node-max-bytes', P('memory', '4096')],
    ['stream-node-max-entries', P('int', '100', { min: 0 })],
    ['hash-max-listpack-entries', P('int', '512', { min: 0 })],
    ['hash-max-listpack-value', P('int', '64', { min: 0 })],
    ['hash-max-ziplist-entries', P('int', '512', { min: 0 })],
    ['hash-max-ziplist-value', P('int', '64', { min: 0 })],
    ['list-max-listpack-size', P('int', '-2')],
    ['list-max-ziplist-size', P('int', '-2')],
    ['set-max-intset-entries', P('int', '512', { min: 0 })],
    ['zset-max-listpack-entries', P('int', '128', { min: 0 })],
    ['zset-max-listpack-value', P('int', '64', { min: 0 })],
    ['zset-max-ziplist-entries', P('int', '128', { min: 0 })],
    ['zset-max-ziplist-value', P('int', '64', { min: 0 })],
    ['slowlog-log-slower-than', P('int', '10000')],
    ['slowlog-max-len', P('int', '128', { min: 0 })],
    ['hz', P('int', '10', { min: 1, max: 500 })],
    ['cluster-enabled', P('readonly', 'no')],
    ['protected-mode', P('bool', 'yes')],
    ['replica-read-only', P('bool', 'yes')],
    ['lazyfree-lazy-user-del', P('bool', 'no')],
    ['lazyfree-lazy-expire', P('bool', 'no')],
    ['activedefrag', P('bool', 'no')],
    ['latency-tracking', P('bool', 'yes')],
    ['enable-debug-command', P('readonly', 'no')],
  ]);

  get(name: string): string | undefined {
    return this.params.get(name.toLowerCase())?.value;
  }

  /** CONFIG GET with one or more glob patterns: [name, value, ...] without duplicates. */
  getMatching(patterns: string[]): string[] {
    const out = new Map<string, string>();
    for (const pat of patterns) {
      const lp = pat.toLowerCase();
      const exact = this.params.get(lp);
      if (exact && !/[*?[]/.test(lp)) {
        out.set(lp, exact.value);
        continue;
      }
      for (const [name, p] of this.params) if (globMatch(lp, name, true)) out.set(name, p.value);
    }
    return [...out].flat();
  }

  /** Set an internal (read-only to clients) value. */
  setInternal(name: string, value: string): void {
    const p = this.params.get(name);
    if (p) p.value = value;
  }

  has(name: string): boolean {
    return this.params.has(name.toLowerCase());
  }

  isSettable(name: string): boolean {
    const p = this.params.get(name.toLowerCase());
    return !!p && p.kind !== 'readonly';
  }

  /** Validate and normalise a value; returns an error text or the value to store. */
  validate(name: string, value: string): { ok: string } | { error: string } {
    const p = this.params.get(name.toLowerCase());
    if (!p) return { error: 'unknown' };
    switch (p.kind) {
      case 'memory': {
        const n = parseMemory(value);
        if (n === null) return { error: 'argument must be a memory value' };
        if (p.min !== undefined && n < p.min) return { error: `argument must be between ${p.min} and ${p.max ?? 'LLONG_MAX'} inclusive` };
        if (p.max !== undefined && n > p.max) return { error: `argument must be between ${p.min ?? 0} and ${p.max} inclusive` };
        return { ok: String(n) };
      }
      case 'int': {
        if (!/^-?\d+$/.test(value)) return { error: "argument couldn't be parsed into an integer" };
        const n = Number(value);
        if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) {
          return { error: `argument must be between ${p.min ?? 'LLONG_MIN'} and ${p.max ?? 'LLONG_MAX'} inclusive` };
        }
        return { ok: String(n) };
      }
      case 'bool': {
        const v = value.toLowerCase();
        if (v !== 'yes' && v !== 'no') return { error: "argument must be 'yes' or 'no'" };
        return { ok: v };
      }
      case 'enum': {
        const v = value.toLowerCase();
        if (!p.values!.includes(v)) return { error: `argument(s) must be one of the following: ${p.values!.join(', ')}` };
        return { ok: v };
      }
      case 'string':
        return { ok: value };
      case 'obuf': {
        // "<class> <hard> <soft> <soft seconds>" groups, merged into the current value.
        const words = value.split(/\s+/).filter(Boolean);
        if (words.length % 4 !== 0) return { error: 'Wrong number of arguments in buffer limit configuration.' };
        const limits = parseOutputBufferLimits(p.value)!;
        for (let i = 0; i < words.length; i += 4) {
          let cls = words[i]!.toLowerCase();
          if (cls === 'replica') cls = 'slave';
          if (!(cls in limits)) return { error: 'Invalid client class specified in buffer limit configuration.' };
          const hard = parseMemory(words[i + 1]!);
          const soft = parseMemory(words[i + 2]!);
          const secs = /^\d+$/.test(words[i + 3]!) ? Number(words[i + 3]) : null;
          if (hard === null || soft === null || secs === null) return { error: 'Error in hard, soft or soft_seconds setting in buffer limit configuration.' };
          limits[cls as keyof OutputBufferLimits] = { hard, soft, softSeconds: secs };
        }
        return { ok: (['normal', 'slave', 'pubsub'] as const).map((c) => `${c} ${limits[c].hard} ${limits[c].soft} ${limits[c].softSeconds}`).join(' ') };
      }
      case 'events': {
        const f = parseEventFlags(value);
        if (f === null) return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
        return { ok: eventFlagsToString(f) };
      }
      default:
        return { error: "can't set immutable config" };
    }
  }

  set(name: string, value: string): void {
    const p = this.params.get(name.toLowerCase());
    if (!p) return;
    p.value = value;
    if (p.alias) {
      const a = this.params.get(p.alias);
      if (a) a.value = value;
    }
  }
}

export interface OutputBufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}
export type OutputBufferLimits = Record<'normal' | 'slave' | 'pubsub', OutputBufferLimit>;

/** The stored client-output-buffer-limit value (always normalised to all three classes). */
export function parseOutputBufferLimits(value: string): OutputBufferLimits | null {
  const w = value.split(' ');
  if (w.length !== 12) return null;
  const at = (i: number): OutputBufferLimit => ({ hard: Number(w[i + 1]), soft: Number(w[i + 2]), softSeconds: Number(w[i + 3]) });
  return { normal: at(0), slave: at(4), pubsub: at(8) };
}

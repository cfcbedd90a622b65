// Replies as plain values, encoded to RESP2 by encoder.ts and converted to Lua
// values by the scripting engine.
//
//   string           bulk string (a byte string: char codes are bytes)
//   null             null bulk string ($-1)
//   number / bigint  integer (must be integral)
//   Reply[]          array
//   NULL_ARRAY       null array (*-1)
//   Status           simple string (+OK)
//   ErrorReply       error (-ERR ...)
//   Verbatim         pre-encoded bytes (used for MONITOR lines and the like)

export class Status {
  readonly s: string;
  constructor(s: string) {
    this.s = s;
  }
}

export class ErrorReply {
  /** Full message without the leading '-', e.g. "ERR syntax error". */
  readonly msg: string;
  constructor(msg: string) {
    this.msg = msg;
  }
}

export const NULL_ARRAY: unique symbol = Symbol('null-array');

/** Several top-level replies from one command (SUBSCRIBE a b c). */
export class Sequence {
  readonly replies: Reply[];
  constructor(replies: Reply[]) {
    this.replies = replies;
  }
}

/**
 * An array whose items are made as they are sent, for replies whose length a client
 * chooses (SRANDMEMBER s -100000000): the server streams it to the socket as the client
 * reads, never holding it whole. Single use: the items are drawn from an iterator.
 */
export class LazyArray {
  /** The exact count for the header (beyond 2^53 too). */
  readonly length: bigint;
  readonly items: Iterator<Reply>;
  constructor(length: bigint, items: Iterator<Reply>) {
    this.length = length;
    this.items = items;
  }
}

/** Replies shorter than this are built whole (cheaper); longer ones stream. */
export const LAZY_MIN = 1024;

export type Reply = string | null | number | bigint | Status | ErrorReply | typeof NULL_ARRAY | Sequence | LazyArray | Reply[];

export const OK = new Status('OK');
/** A handler result meaning "send nothing" (CLIENT REPLY OFF/SKIP). */
export const NO_REPLY = new Status('');
export const QUEUED = new Status('QUEUED');
export const PONG = new Status('PONG');

export function err(msg: string): ErrorReply {
  return new ErrorReply(msg);
}

// Error messages shared between families, spelled as Redis 7 spells them.
export const E = {
  WRONGTYPE: new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'),
  SYNTAX: new ErrorReply('ERR syntax error'),
  NOT_INT: new ErrorReply('ERR value is not an integer or out of range'),
  NOT_FLOAT: new ErrorReply('ERR value is not a valid float'),
  OVERFLOW: new ErrorReply('ERR increment or decrement would overflow'),
  NO_KEY: new ErrorReply('ERR no such key'),
  OUT_OF_RANGE: new ErrorReply('ERR index out of range'),
  DB_RANGE: new ErrorReply('ERR DB index is out of range'),
  MIN_MAX_FLOAT: new ErrorReply('ERR min or max is not a float'),
  MIN_MAX_LEX: new ErrorReply('ERR min or max not valid string range item'),
  TIMEOUT_NOT_FLOAT: new ErrorReply('ERR timeout is not a float or out of range'),
  TIMEOUT_NEG: new ErrorReply('ERR timeout is negative'),
  OOM: new ErrorReply("OOM command not allowed when used memory > 'maxmemory'."),
  NOAUTH: new ErrorReply('NOAUTH Authentication required.'),
  BUSY: new ErrorReply('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'),
  POSITIVE: new ErrorReply('ERR value is out of range, must be positive'),
  NUMKEYS: new ErrorReply("ERR Number of keys can't be greater than number of args"),
} as const;

export function wrongArity(name: string): ErrorReply {
  return new ErrorReply(`ERR wrong number of arguments for '${name}' command`);
}

export function isError(r: Reply): r is ErrorReply {
  return r instanceof ErrorReply;
}

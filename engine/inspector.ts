// The Broker tab's protocol with the broker's inspector (JSON text frames over a WebSocket),
// one schema for both ends: the workbench validates what it receives with it, and the broker
// (bundled on its own, without zod) builds its messages with the types inferred from it.
import { z } from 'zod';

export const KeyType = z.enum(['string', 'hash', 'list', 'set', 'zset', 'stream']);

/** One key as the Broker tab lists it: a preview of its value, by type. */
export const KeyInfo = z.object({
  key: z.string(),
  type: KeyType,
  /** Seconds to live, -1 without expiry (as TTL answers). */
  ttl: z.number(),
  /** Length, cardinality or entry count. */
  size: z.number(),
  value: z.union([
    z.string(),
    z.array(z.string()),
    z.array(z.tuple([z.string(), z.string()])),
    z.record(z.string(), z.string()),
    z.array(z.object({ id: z.string(), fields: z.record(z.string(), z.string()) })),
  ]),
});
export type KeyInfo = z.infer<typeof KeyInfo>;

/** Page → inspector. */
export const InspectorRequest = z.discriminatedUnion('type', [
  /** A redis-cli style line, split as redis-cli splits it. */
  z.object({ type: z.literal('command'), id: z.number(), line: z.string() }),
  z.object({ type: z.literal('keys'), id: z.number() }),
  /** MONITOR on or off: every command the broker runs, except the inspector's own. */
  z.object({ type: z.literal('monitor'), on: z.boolean() }),
]);
export type InspectorRequest = z.infer<typeof InspectorRequest>;

/** Inspector → page. */
export const InspectorReply = z.discriminatedUnion('type', [
  /** The reply as interactive redis-cli prints it, without the final newline. */
  z.object({ type: z.literal('reply'), id: z.number(), text: z.string() }),
  z.object({ type: z.literal('keys'), id: z.number(), keys: z.array(KeyInfo), truncated: z.boolean() }),
  z.object({ type: z.literal('monitor'), line: z.string() }),
  /** Anything refused; with the request's id when it had one. */
  z.object({ type: z.literal('error'), id: z.number().optional(), message: z.string() }),
]);
export type InspectorReply = z.infer<typeof InspectorReply>;

// A room's recent history, kept in the broker where every instance can read it: one Redis
// stream per room. The stream gives each message its id, and a page that reconnects, to
// this instance or another, asks for everything after the last id it showed.
import { Redis } from 'ioredis';
import type { RoomEvent } from './protocol.ts';
import { REDIS_URL } from './settings.ts';

/** About how many messages a room keeps: enough to bridge a reconnect, not an archive. */
export const HISTORY_LENGTH = 100;

/** The room's stream: chat:history:hotpot for #hotpot. */
export const historyKey = (room: string) => `chat:history:${room}`;

const redis = new Redis(REDIS_URL);
redis.on('error', (err) => console.error(`history: ${err.message}`));

/** Keeps a message in its room's history; returns the id the stream gave it. */
export async function record(_room: string, _event: RoomEvent): Promise<string | undefined> {
  // Nothing yet: the message is not kept anywhere, and it has no id.
  return undefined;
}

/** The room's messages after the one with this id, oldest first, each with its id. */
export async function since(_room: string, _after: string): Promise<RoomEvent[]> {
  // Nothing yet: a page that reconnects gets nothing of what it missed.
  return [];
}

/** Whether stream id a ("ms-seq") comes after b: the milliseconds first, then the sequence. */
export function isAfter(a: string, b: string): boolean {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map((part) => BigInt(part));
  const [bMs = 0n, bSeq = 0n] = b.split('-').map((part) => BigInt(part));
  return aMs > bMs || (aMs === bMs && aSeq > bSeq);
}

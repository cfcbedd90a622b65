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
export async function record(room: string, event: RoomEvent): Promise<string | undefined> {
  // "*": the broker picks the id, always above the stream's last one, whichever instance asks.
  // "MAXLEN ~": trimmed in whole blocks, so the stream keeps at least HISTORY_LENGTH, a little more.
  const id = await redis.xadd(historyKey(room), 'MAXLEN', '~', HISTORY_LENGTH, '*', 'event', JSON.stringify(event));
  return id ?? undefined;
}

/** The room's messages after the one with this id, oldest first, each with its id. */
export async function since(room: string, after: string): Promise<RoomEvent[]> {
  // "(" makes the start exclusive: the page already shows the message with this id.
  const entries = await redis.xrange(historyKey(room), `(${after}`, '+');
  const events: RoomEvent[] = [];
  for (const [id, fields] of entries) {
    const at = fields.indexOf('event');
    // Anyone with access to the broker can XADD here (the Broker tab, redis-cli): an entry
    // that is not one of our messages is skipped, not sent to the page.
    let event: RoomEvent | null = null;
    try {
      event = JSON.parse(at < 0 ? '' : (fields[at + 1] ?? '')) as RoomEvent | null;
    } catch {}
    if (event?.type === 'message') events.push({ ...event, id });
    else console.error(`ignored entry ${id} of ${historyKey(room)}: not a chat message`);
  }
  return events;
}

/** Whether stream id a ("ms-seq") comes after b: the milliseconds first, then the sequence. */
export function isAfter(a: string, b: string): boolean {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map((part) => BigInt(part));
  const [bMs = 0n, bSeq = 0n] = b.split('-').map((part) => BigInt(part));
  return aMs > bMs || (aMs === bMs && aSeq > bSeq);
}

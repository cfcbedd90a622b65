// What travels over the chat socket, in both directions. Everything is JSON text.
import type { RawData } from 'ws';
import { MAX_TEXT_LENGTH } from './settings.ts';

/** The browser sends one kind of message: something to say in the room. */
export interface ClientMessage {
  type: 'message';
  text: string;
}

/** Everything the server sends to a room's members. */
export type RoomEvent =
  // id: the message's place in the room's history (a stream id, "ms-seq"), from step 6 on.
  | { type: 'message'; room: string; name: string; text: string; at: number; instance: string; id?: string }
  | { type: 'join'; room: string; name: string; at: number; instance: string }
  | { type: 'leave'; room: string; name: string; at: number; instance: string };

/** Sent once to a socket that has just connected. */
export interface Welcome {
  type: 'welcome';
  room: string;
  name: string;
  instance: string;
}

/** WebSocket close codes (RFC 6455, section 7.4.1) the server uses. */
export const CLOSE = {
  /** The endpoint received a kind of data it cannot accept (binary, for this chat). */
  UNSUPPORTED_DATA: 1003,
  /** The data was not consistent with the type of the message (not our JSON). */
  INVALID_PAYLOAD: 1007,
  /** The message is too big to process. */
  TOO_BIG: 1009,
  /** The server hit an unexpected condition. */
  INTERNAL_ERROR: 1011,
} as const;

/** Thrown by parseClientMessage: the server closes the socket with this code and reason. */
export class ProtocolError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Turns one frame from the browser into a ClientMessage, or throws a ProtocolError that closes
 * the sender's socket. Frames over MAX_MESSAGE_BYTES never get here: ws refuses them (1009).
 */
export function parseClientMessage(data: RawData, isBinary: boolean): ClientMessage {
  if (isBinary) throw new ProtocolError(CLOSE.UNSUPPORTED_DATA, 'binary frames are not accepted');
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    throw new ProtocolError(CLOSE.INVALID_PAYLOAD, 'not JSON');
  }
  const message = parsed as { type?: unknown; text?: unknown } | null;
  if (typeof message !== 'object' || message === null || message.type !== 'message' || typeof message.text !== 'string')
    throw new ProtocolError(CLOSE.INVALID_PAYLOAD, 'expected {"type":"message","text":"…"}');
  const text = message.text.trim();
  if (text === '') throw new ProtocolError(CLOSE.INVALID_PAYLOAD, 'empty message');
  // Counted in characters (code points), not UTF-16 units: an emoji is one.
  if ([...text].length > MAX_TEXT_LENGTH) throw new ProtocolError(CLOSE.TOO_BIG, `messages are at most ${MAX_TEXT_LENGTH} characters`);
  return { type: 'message', text };
}

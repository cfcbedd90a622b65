// What travels over the chat socket, in both directions. Everything is JSON text.
import type { RawData } from 'ws';

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
 * Turns one frame from the browser into a ClientMessage.
 * For now it trusts the client: anything that is not the JSON it expects is passed on to the
 * room as plain text, whatever its size or kind.
 */
export function parseClientMessage(data: RawData, _isBinary: boolean): ClientMessage {
  const raw = data.toString();
  try {
    const parsed = JSON.parse(raw) as { text?: unknown } | null;
    if (typeof parsed?.text === 'string') return { type: 'message', text: parsed.text };
  } catch {
    // Not JSON: passed on as it came.
  }
  return { type: 'message', text: raw };
}

// The glue between ws and ChatConsumer, like the base class a Channels consumer inherits:
// accepts the upgrade, makes one consumer per socket, and calls its methods in order.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChatConsumer } from './consumer.ts';
import { startHeartbeat } from './heartbeat.ts';
import { CLOSE, ProtocolError } from './protocol.ts';
import { MAX_MESSAGE_BYTES } from './settings.ts';

// noServer: server.ts owns the HTTP server and hands over only the upgrades routing.ts matched.
// maxPayload: a bigger frame is refused by ws itself, which closes the socket with 1009.
export const chatServer = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

/** Messages received from browsers since start: the monitor turns it into a rate. */
export const stats = { received: 0 };

export const stopHeartbeat = startHeartbeat(chatServer);

export function acceptChat(req: IncomingMessage, socket: Duplex, head: Buffer, params: Record<string, string>) {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const name = cleanName(query.get('name'));
  const room = params.room ?? 'lobby';
  const after = resumeFrom(query.get('after'));
  chatServer.handleUpgrade(req, socket, head, (ws) => {
    chatServer.emit('connection', ws, req);
    serve(ws, room, name, after);
  });
}

function serve(ws: WebSocket, room: string, name: string, after: string | null) {
  const consumer = new ChatConsumer(ws, room, name, after);
  // One event at a time per socket, in arrival order: a message never overtakes connect(),
  // and disconnect() always comes last.
  let queue: Promise<void> = Promise.resolve();
  const next = (step: () => Promise<void>) => {
    queue = queue.then(step).catch((err: unknown) => fail(ws, err));
  };
  next(() => consumer.connect());
  ws.on('message', (data, isBinary) => {
    stats.received++;
    // Once a bad frame has started the close, what the client sent after it is not heard.
    next(async () => {
      if (ws.readyState === ws.OPEN) await consumer.receive(data, isBinary);
    });
  });
  ws.on('close', () => next(() => consumer.disconnect()));
  // Protocol errors from the peer (a frame over maxPayload, bad UTF-8): ws has already
  // closed the socket with the right code, and 'close' follows.
  ws.on('error', () => {});
}

function fail(ws: WebSocket, err: unknown) {
  if (err instanceof ProtocolError) {
    // A close reason must fit in 123 bytes.
    ws.close(err.code, Buffer.from(err.message).subarray(0, 123).toString());
    return;
  }
  console.error(`chat: ${(err as Error)?.stack ?? err}`);
  ws.close(CLOSE.INTERNAL_ERROR, 'server error');
}

/** The name the page asked for, or a guest name: 1 to 24 printable characters. */
function cleanName(asked: string | null): string {
  const name = (asked ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 24);
  return name || `guest-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * ?after=: the id of the last message the page showed before it reconnected, a stream id
 * ("1733312345678-0"). Anything else is ignored, as if the page had not asked: it would only
 * make the broker answer with an error.
 */
function resumeFrom(asked: string | null): string | null {
  return asked !== null && /^\d{1,16}-\d{1,16}$/.test(asked) ? asked : null;
}

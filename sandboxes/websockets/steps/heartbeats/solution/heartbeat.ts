// Heartbeats: finding peers that are gone without having said goodbye.
//
// A browser tab that closes sends a close frame, but a laptop whose lid shuts, a phone that
// leaves the Wi-Fi or a proxy that drops an idle connection sends nothing: the socket looks
// open to the server, its member stays in the room, and messages to it pile up in memory.
import type { WebSocket, WebSocketServer } from 'ws';
import { HEARTBEAT_INTERVAL_MS } from './settings.ts';

/** Starts pinging the server's connections; returns a function that stops it. */
export function startHeartbeat(wss: WebSocketServer, intervalMs = HEARTBEAT_INTERVAL_MS): () => void {
  // Answered the last ping? Browsers answer pings by themselves; nobody writes code for it.
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
  });
  let lastRound = Date.now();
  const timer = setInterval(() => {
    // If this process itself stalled (a long GC pause, a starved machine), the pongs may be
    // waiting unread: timers run before sockets are read. Judge nobody this round.
    const now = Date.now();
    const stalled = now - lastRound > intervalMs * 1.5;
    lastRound = now;
    for (const ws of wss.clients) {
      // No pong since the last round: gone. terminate() does not wait for a closing
      // handshake that will never come; 'close' fires and disconnect() runs as usual.
      if (alive.get(ws) === false && !stalled) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, intervalMs);
  // A peer is dropped between one and two intervals after it went silent.
  return () => clearInterval(timer);
}

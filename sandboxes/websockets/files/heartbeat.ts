// Heartbeats: finding peers that are gone without having said goodbye.
//
// A browser tab that closes sends a close frame, but a laptop whose lid shuts, a phone that
// leaves the Wi-Fi or a proxy that drops an idle connection sends nothing: the socket looks
// open to the server, its member stays in the room, and messages to it pile up in memory.
import type { WebSocketServer } from 'ws';
import { HEARTBEAT_INTERVAL_MS } from './settings.ts';

/** Starts pinging the server's connections; returns a function that stops it. */
export function startHeartbeat(_wss: WebSocketServer, _intervalMs = HEARTBEAT_INTERVAL_MS): () => void {
  // Nothing yet: a peer that vanishes stays connected, and in its room, until the operating
  // system gives up on the TCP connection, which can take hours.
  return () => {};
}

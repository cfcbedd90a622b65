// The monitoring feed: every half second, a sample of this instance's state goes to every
// socket on /ws/monitor, and the pages draw it. The server speaks first, again and again,
// without being asked: the other thing WebSockets are for.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { chatServer, stats } from './chat.ts';
import { layer } from './layer.ts';
import { INSTANCE, MONITOR_INTERVAL_MS } from './settings.ts';

export interface Sample {
  at: number;
  instance: string;
  /** Chat sockets connected to this instance. */
  clients: number;
  /** Rooms with members on this instance. */
  rooms: number;
  /** Chat messages received from browsers per second, over the last interval. */
  messagesPerSecond: number;
  heapUsedMB: number;
}

// The monitor only talks: anything a page sends it is ignored, and kept small.
const monitorServer = new WebSocketServer({ noServer: true, maxPayload: 1024 });
const history: Sample[] = [];
const HISTORY = 120; // a minute of samples, so a page that connects has a chart at once
// A page that stops reading (a background tab, a slow link) is skipped, not buffered for.
const SLOW_CONSUMER_BYTES = 256 * 1024;

export function acceptMonitor(req: IncomingMessage, socket: Duplex, head: Buffer) {
  monitorServer.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => {});
    ws.send(JSON.stringify({ type: 'history', samples: history }));
  });
}

let lastCount = stats.received;
let lastAt = Date.now();
export const stopMonitor = (() => {
  const timer = setInterval(() => {
    const now = Date.now();
    const sample: Sample = {
      at: now,
      instance: INSTANCE,
      clients: chatServer.clients.size,
      rooms: layer.rooms().length,
      messagesPerSecond: Math.round(((stats.received - lastCount) * 1000) / Math.max(1, now - lastAt)),
      heapUsedMB: Math.round(process.memoryUsage().heapUsed / 104857.6) / 10,
    };
    lastCount = stats.received;
    lastAt = now;
    history.push(sample);
    if (history.length > HISTORY) history.shift();
    const text = JSON.stringify({ type: 'sample', sample });
    for (const ws of monitorServer.clients) if (ws.bufferedAmount < SLOW_CONSUMER_BYTES) ws.send(text);
  }, MONITOR_INTERVAL_MS);
  return () => clearInterval(timer);
})();

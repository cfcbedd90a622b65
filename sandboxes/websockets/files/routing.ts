// Which WebSocket paths exist and what serves them, like routing.py in Channels. Every socket
// lives under /ws/, so in production a proxy can send /ws/ to the WebSocket service and
// everything else to the web app.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptChat } from './chat.ts';
import { acceptMonitor } from './monitor.ts';

interface Route {
  path: RegExp;
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, params: Record<string, string>): void;
}

export const websocketRoutes: Route[] = [
  { path: /^\/ws\/chat\/(?<room>[A-Za-z0-9_-]{1,40})\/?$/, accept: acceptChat },
  { path: /^\/ws\/monitor\/?$/, accept: acceptMonitor },
];

/** server.on('upgrade'): the first route whose path matches takes the socket; no match is a 404. */
export function routeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
  socket.on('error', () => {});
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  for (const route of websocketRoutes) {
    const match = route.path.exec(pathname);
    if (match) return route.accept(req, socket, head, { ...match.groups });
  }
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

// The chat server: its pages over HTTP, and WebSocket upgrades handed to routing.ts.
// The sandbox runs two copies, chat-a and chat-b, the way two instances would run behind a
// load balancer: same code, separate processes, separate memory.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { chatServer, stopHeartbeat } from './chat.ts';
import { layer } from './layer.ts';
import { stopMonitor } from './monitor.ts';
import { routeUpgrade } from './routing.ts';
import { INSTANCE, PORT } from './settings.ts';

const files: Record<string, string> = {
  '/': 'public/index.html',
  '/index.html': 'public/index.html',
  '/room.html': 'public/room.html',
  '/chat.js': 'public/chat.js',
  '/monitor.js': 'public/monitor.js',
  '/style.css': 'public/style.css',
  // The chart library, straight from the package.
  '/vendor/uPlot.iife.min.js': 'node_modules/uplot/dist/uPlot.iife.min.js',
  '/vendor/uPlot.min.css': 'node_modules/uplot/dist/uPlot.min.css',
};
const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

const server = createServer(async (req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const file = files[pathname];
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
    return;
  }
  try {
    const body = await readFile(new URL(file, import.meta.url));
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    console.error(`${pathname}: ${(err as Error).message}`);
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Could not read the page');
  }
});

server.on('upgrade', routeUpgrade);
// Loopback only: the runner passes HOST (127.0.0.1); nothing else on the network reaches the sandbox.
server.listen(PORT, process.env.HOST ?? '127.0.0.1', () => console.log(`chat instance ${INSTANCE} listening on port ${PORT}`));

// Stop and Restart: tell every browser this server is going away (1001), so it reconnects.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    stopHeartbeat();
    stopMonitor();
    for (const ws of chatServer.clients) ws.close(1001, 'server restarting');
    server.close();
    void layer.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });

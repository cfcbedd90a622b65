// Two tiny servers for the idle-connections experiment, started by lab.ts one at a time:
//   node models.ts event-loop   one thread watches every socket (what main.ts does)
//   node models.ts threads      a thread per connection, kept for as long as it is open
// Both answer GET with "pong" and keep the connection alive. Node cannot hand a socket to
// another thread, so in the threads model the main thread passes bytes to the connection's
// Worker and back; each Worker is a thread with its own JavaScript engine, which makes it
// heavier than an OS thread in Python (compare them with npm run bench:concurrency-models).
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { Worker } from 'node:worker_threads';

const model = process.argv[2];
if (model !== 'event-loop' && model !== 'threads') {
  console.error('usage: node models.ts event-loop|threads');
  process.exit(2);
}

// The thread's code: answer each request it is handed (a GET with no body).
const THREAD = `
const { parentPort } = require('node:worker_threads');
let pending = '';
parentPort.on('message', (chunk) => {
  pending += chunk;
  while (pending.includes('\\r\\n\\r\\n')) {
    pending = pending.slice(pending.indexOf('\\r\\n\\r\\n') + 4);
    parentPort.postMessage('HTTP/1.1 200 OK\\r\\ncontent-type: text/plain\\r\\ncontent-length: 4\\r\\nconnection: keep-alive\\r\\n\\r\\npong');
  }
});`;

let threads = 0;
let server: Server | ReturnType<typeof createHttpServer>;
if (model === 'event-loop') {
  server = createHttpServer({ keepAliveTimeout: 120_000, headersTimeout: 120_000 }, (_req, res) => res.end('pong'));
} else {
  server = createTcpServer((socket) => {
    const thread = new Worker(THREAD, { eval: true });
    threads++;
    thread.on('message', (reply: string) => socket.write(reply));
    thread.on('error', () => socket.destroy());
    socket.on('data', (chunk) => thread.postMessage(chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => void thread.terminate().finally(() => threads--));
  });
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});

// lab.ts asks over IPC: how much memory, how many connections and threads now.
process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'stats') return;
  server.getConnections((_, connections) =>
    process.send?.({ type: 'stats', rss: process.memoryUsage().rss, connections, threads: model === 'threads' ? threads : 1 }),
  );
});
process.on('disconnect', () => process.exit(0));

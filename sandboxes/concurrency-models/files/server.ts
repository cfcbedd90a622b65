// The web server: one process, one thread, one event loop, routing each URL to a view. Every
// answer says which process served it (x-served-by), so you can see a cluster share the work.
// You edit this file in step 4.
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as views from './views.ts';
import { awaited, blocking, type Answer } from './work.ts';

// Node's defaults: a client may take 60 s to send its headers (headersTimeout) and 300 s for
// the whole request (requestTimeout), and the server looks for late ones every 30 s
// (connectionsCheckingInterval).
const OPTIONS: ServerOptions = {};

const routes: Record<string, (query: URLSearchParams) => Promise<Answer>> = {
  '/archive': views.archive,
  '/hash': views.hash,
  '/report': views.report,
  '/blocking': blocking,
  '/async': awaited,
  '/ping': async () => ({ status: 200, body: 'pong' }),
  '/static/hello.txt': async () => ({ status: 200, body: await readFile(new URL('static/hello.txt', import.meta.url), 'utf8') }),
};

// How late the event loop runs its callbacks: near 0 when it is free, the length of the
// blocking work when something holds it.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

async function stats(server: ReturnType<typeof createServer>): Promise<Answer> {
  const connections = await new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)));
  const memory = process.memoryUsage();
  const body = {
    pid: process.pid,
    cores: availableParallelism(),
    clusterWorker: cluster.isWorker,
    connections,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    delay: { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, meanMs: delay.mean / 1e6 },
  };
  delay.reset();
  return { status: 200, body: JSON.stringify(body), type: 'application/json' };
}

export function startServer(port: number) {
  const server = createServer(OPTIONS, async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const started = Date.now();
    let answer: Answer;
    try {
      const route = url.pathname === '/_stats' ? () => stats(server) : routes[url.pathname];
      answer = route ? await route(url.searchParams) : { status: 404, body: 'Not found' };
    } catch (err) {
      console.error(`${url.pathname}: ${(err as Error).message}`);
      answer = { status: 500, body: 'Server error' };
    }
    res.writeHead(answer.status, {
      'content-type': answer.type ?? 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-served-by': String(process.pid),
      'x-started': String(started),
      'x-ended': String(Date.now()),
      ...answer.headers,
    });
    res.end(answer.body);
  });
  server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`app listening on port ${port} (process ${process.pid})`));
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      server.close();
      server.closeAllConnections();
      setTimeout(() => process.exit(0), 500).unref();
    });
  return server;
}

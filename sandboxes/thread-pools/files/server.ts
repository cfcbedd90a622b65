// The app's server: its two routes (routes.ts), the page with its live view, and the
// experiments behind the page's buttons (lab.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { COMPUTE_MS, HASH_ITERATIONS } from './calibrate.ts';
import { barsSince, loopDelay } from './feed.ts';
import { compare, exclusive, experiment, experimentTask, flood, libuv, saturate, warm } from './lab.ts';
import { cpuPool, ioPool } from './pools.ts';
import { workers } from './probe.ts';
import { hashRoute, ioRoute } from './routes.ts';
import { CORES, MAX_QUEUE } from './sizes.ts';

const PORT = Number(process.env.PORT ?? 3000);
const files: Record<string, string> = {
  '/': 'public/index.html',
  '/index.html': 'public/index.html',
  '/page.js': 'public/page.js',
  '/style.css': 'public/style.css',
  // The chart library, straight from the package.
  '/vendor/uPlot.iife.min.js': 'node_modules/uplot/dist/uPlot.iife.min.js',
  '/vendor/uPlot.min.css': 'node_modules/uplot/dist/uPlot.min.css',
};
const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

// The longest each queue has been since the last reset: sampled whenever a request has just
// submitted its task, and every few milliseconds besides.
const peak = { cpu: 0, io: 0 };
const sample = () => {
  peak.cpu = Math.max(peak.cpu, cpuPool.queued);
  peak.io = Math.max(peak.io, ioPool.queued);
};
setInterval(sample, 5).unref();
let served = { ok: 0, rejected: 0, failed: 0 };

function state() {
  const memory = process.memoryUsage();
  return {
    cores: CORES,
    workers: { ok: workers.ok, why: workers.why },
    maxQueue: MAX_QUEUE,
    hashIterations: HASH_ITERATIONS,
    computeMs: COMPUTE_MS,
    pools: {
      cpu: { size: cpuPool.size, queued: cpuPool.queued, running: cpuPool.running, peakQueued: peak.cpu },
      io: { size: ioPool.size, queued: ioPool.queued, running: ioPool.running, peakQueued: peak.io },
    },
    served,
    memory: { rss: memory.rss, heapUsed: memory.heapUsed },
  };
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw new Error('request body too large');
  }
  const parsed: unknown = JSON.parse(text || '{}');
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

const intParam = (url: URL, name: string, min: number, max: number, fallback: number) => {
  const v = Number(url.searchParams.get(name) ?? fallback);
  return Number.isInteger(v) && v >= min && v <= max ? v : null;
};

/** The live view: every 250 ms, new bars, queues and the event loop's delay. */
function events(req: IncomingMessage, res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  let since = barsSince(0).seq;
  let delaySince = loopDelay(0).seq;
  const tick = () => {
    const fresh = barsSince(since);
    since = fresh.seq;
    const loop = loopDelay(delaySince);
    delaySince = loop.seq;
    res.write(`data: ${JSON.stringify({ now: Date.now(), bars: fresh.bars, loop, ...state() })}\n\n`);
  };
  tick();
  const timer = setInterval(tick, 250);
  req.on('close', () => clearInterval(timer));
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const { pathname } = url;
  try {
    if (pathname === '/health') return res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('ok');
    if (pathname === '/api/hash' && req.method === 'POST') {
      const { password } = await body(req);
      if (typeof password !== 'string' || password.length > 200) return json(res, 400, { error: 'give a password (a string of at most 200 characters)' });
      const done = hashRoute(password, res);
      sample();
      return await done;
    }
    if (pathname === '/api/io' && req.method === 'GET') {
      const done = ioRoute(res);
      sample();
      await done;
      if (res.statusCode === 200) served.ok++;
      else if (res.statusCode === 503) served.rejected++;
      return;
    }
    if (pathname === '/api/state' && req.method === 'GET') {
      if (url.searchParams.has('reset')) (peak.cpu = peak.io = 0), (served = { ok: 0, rejected: 0, failed: 0 });
      return json(res, 200, state());
    }
    if (pathname === '/api/events' && req.method === 'GET') return events(req, res);
    if (pathname === '/api/compare' && req.method === 'GET') {
      const n = intParam(url, 'n', 1, 500, 200);
      const fresh = intParam(url, 'fresh', 1, 500, n ?? 200);
      if (n === null || fresh === null) return json(res, 400, { error: 'n and fresh must be whole numbers from 1 to 500' });
      const seed = url.searchParams.get('seed')?.slice(0, 40) || 'task';
      return json(res, 200, await exclusive(() => compare(n, seed, fresh, url.searchParams.get('piscina') !== '0')));
    }
    if (pathname === '/api/measure' && req.method === 'GET') {
      // The app's own pool (not a new one) under the experiment's load.
      const pool = url.searchParams.get('pool') === 'io' ? ioPool : url.searchParams.get('pool') === 'cpu' ? cpuPool : null;
      const ratio = intParam(url, 'ratio', 0, 50, 0);
      const ms = intParam(url, 'ms', 200, 5000, 1200);
      if (!pool || ratio === null || ms === null) return json(res, 400, { error: 'pool cpu or io, ratio 0-50 and ms 200-5000' });
      // Both pools warmed first: a pool still starting its threads takes cores from the one measured.
      return json(res, 200, await exclusive(async () => (await Promise.all([warm(cpuPool), warm(ioPool)]), await saturate(pool, () => experimentTask(ratio), ms, ratio))));
    }
    if (pathname === '/api/experiment' && req.method === 'GET') {
      const size = intParam(url, 'size', 1, 256, 1);
      const ratio = intParam(url, 'ratio', 0, 50, 0);
      const ms = intParam(url, 'ms', 200, 5000, 1200);
      if (size === null || ratio === null || ms === null) return json(res, 400, { error: 'size 1-256, ratio 0-50 and ms 200-5000, whole numbers' });
      return json(res, 200, await exclusive(() => experiment(size, ratio, ms)));
    }
    if (pathname === '/api/flood' && req.method === 'GET') {
      const n = intParam(url, 'n', 1, 3000, 1500);
      if (n === null) return json(res, 400, { error: 'n must be a whole number from 1 to 3000' });
      peak.io = 0;
      const result = await flood(PORT, Math.min(n, 400), n);
      return json(res, 200, { ...result, peakQueued: peak.io });
    }
    if (pathname === '/api/libuv' && req.method === 'GET') {
      const size = intParam(url, 'size', 1, 16, 4);
      if (size === null) return json(res, 400, { error: 'size must be a whole number from 1 to 16' });
      return json(res, 200, await exclusive(() => libuv(size)));
    }
    const file = files[pathname];
    if (!file || req.method !== 'GET') return res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    const page = await readFile(new URL(file, import.meta.url));
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(page);
  } catch (err) {
    if (pathname === '/api/io') served.failed++;
    if (!res.headersSent) json(res, 500, { error: (err as Error).message });
    else res.end();
  }
});

server.listen(PORT, process.env.HOST ?? '127.0.0.1', () => console.log(`page on port ${PORT}: ${CORES} cores, pools of ${cpuPool.size} (cpu) and ${ioPool.size} (io) threads`));

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    server.closeAllConnections();
    server.close();
    setTimeout(() => process.exit(0), 1000).unref();
    void Promise.allSettled([cpuPool.close(), ioPool.close()]).finally(() => process.exit(0));
  });

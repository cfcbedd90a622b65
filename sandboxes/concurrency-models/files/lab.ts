// The lab: the page in the preview, and the experiments it runs against the app from this
// separate process (so a stalled app cannot stall the page that shows the stall):
//   POST /api/timeline  five requests at once at one handler, each one's start and end
//   POST /api/load      autocannon against one endpoint: requests/s, p50, p99
//   POST /api/idle      hold idle keep-alive connections, in an event loop or a thread each
//   GET  /api/stats     the app's event-loop delay, and how long it has not answered
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import autocannon from 'autocannon';

const APP_PORT = Number(process.env.APP_PORT ?? 8000);
const LAB_PORT = Number(process.env.LAB_PORT ?? 3000);
const HOST = '127.0.0.1';

const files: Record<string, string> = {
  '/': 'public/index.html',
  '/index.html': 'public/index.html',
  '/page.js': 'public/page.js',
  '/style.css': 'public/style.css',
  '/vendor/uPlot.iife.min.js': 'node_modules/uplot/dist/uPlot.iife.min.js',
  '/vendor/uPlot.min.css': 'node_modules/uplot/dist/uPlot.min.css',
};
const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** The endpoints the Load button can aim at. */
export const TARGETS: Record<string, { path: string; label: string }> = {
  blocking: { path: '/blocking?ms=10', label: 'blocking wait, 10 ms' },
  async: { path: '/async?ms=10', label: 'awaited wait, 10 ms' },
  hash: { path: '/hash', label: 'password hash (CPU)' },
  report: { path: '/report', label: 'rendered report (CPU)' },
  static: { path: '/static/hello.txt', label: 'static file' },
};
const TIMELINE: Record<string, (seconds: number) => string> = {
  archive: (s) => `/archive?seconds=${s}`,
  blocking: (s) => `/blocking?ms=${s * 1000}`,
  async: (s) => `/async?ms=${s * 1000}`,
};

/** Wrong input from the page: answered 400 with the message. */
const bad = (message: string) => Object.assign(new Error(message), { status: 400 });

const json = (res: ServerResponse, status: number, data: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(data));

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw bad('request body too large');
  }
  const parsed: unknown = JSON.parse(text || '{}');
  if (!parsed || typeof parsed !== 'object') throw bad('send a JSON object');
  return parsed as Record<string, unknown>;
}

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}
/** One GET to the app on a connection of its own; undefined when it fails or times out. */
function get(path: string, timeoutMs: number): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port: APP_PORT, path, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

// The gauge: poll the app's /_stats four times a second, one poll at a time.
interface Sample {
  t: number;
  delayMaxMs: number;
  answerMs: number;
}
let lastStats: Record<string, unknown> | null = null;
let pollingSince = 0;
const samples: Sample[] = [];
async function pollApp() {
  pollingSince = Date.now();
  const reply = await get('/_stats', 30_000);
  const answerMs = Date.now() - pollingSince;
  pollingSince = 0;
  if (reply?.status === 200) {
    try {
      lastStats = JSON.parse(reply.text) as Record<string, unknown>;
      const delay = lastStats.delay as { maxMs: number };
      samples.push({ t: Date.now(), delayMaxMs: Math.max(delay.maxMs, answerMs), answerMs });
      if (samples.length > 240) samples.shift();
    } catch {
      lastStats = null;
    }
  } else lastStats = null;
  setTimeout(pollApp, 250);
}
void pollApp();

let busy = '';
async function exclusive<T>(what: string, run: () => Promise<T>): Promise<T> {
  if (busy) throw Object.assign(new Error(`busy with ${busy}: wait for it to finish`), { status: 409 });
  busy = what;
  try {
    return await run();
  } finally {
    busy = '';
  }
}

async function timeline(input: Record<string, unknown>) {
  const handler = String(input.handler ?? 'archive');
  const seconds = Number(input.seconds ?? 5);
  const count = Number(input.count ?? 5);
  const path = TIMELINE[handler];
  if (!path) throw bad(`handler must be one of ${Object.keys(TIMELINE).join(', ')}`);
  if (!(seconds >= 0.2 && seconds <= 10)) throw bad('seconds must be between 0.2 and 10');
  if (!Number.isInteger(count) || count < 1 || count > 10) throw bad('count must be 1 to 10');
  const t0 = Date.now();
  const bars = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const sent = Date.now() - t0;
      const reply = await get(path(seconds), (seconds * count + 30) * 1000);
      const received = Date.now() - t0;
      return {
        i: i + 1,
        sent,
        received,
        started: reply ? Number(reply.headers['x-started']) - t0 : null,
        ended: reply ? Number(reply.headers['x-ended']) - t0 : null,
        pid: reply ? Number(reply.headers['x-served-by']) : null,
        status: reply?.status ?? 0,
      };
    }),
  );
  return { handler, path: path(seconds), seconds, totalMs: Date.now() - t0, bars };
}

async function load(input: Record<string, unknown>) {
  const target = TARGETS[String(input.target)];
  if (!target) throw bad(`target must be one of ${Object.keys(TARGETS).join(', ')}`);
  const connections = Number(input.connections ?? 20);
  const seconds = Number(input.seconds ?? 5);
  if (!Number.isInteger(connections) || connections < 1 || connections > 200) throw bad('connections must be 1 to 200');
  if (!(seconds >= 1 && seconds <= 30)) throw bad('seconds must be 1 to 30');
  // Beside the load, one /ping every 100 ms: how long does a cheap request wait meanwhile?
  const pings: number[] = [];
  const pids = new Set<number>();
  let pinging = true;
  const pinger = (async () => {
    while (pinging) {
      const t = Date.now();
      const reply = await get('/ping', 30_000);
      if (reply) pings.push(Date.now() - t), pids.add(Number(reply.headers['x-served-by']));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await autocannon({ url: `http://${HOST}:${APP_PORT}${target.path}`, connections, duration: seconds, timeout: 30 });
  pinging = false;
  await pinger;
  pings.sort((a, b) => a - b);
  return {
    target: String(input.target),
    label: target.label,
    path: target.path,
    connections,
    seconds,
    requestsPerSecond: Math.round(result.requests.total / seconds),
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors, // connection errors, timeouts included
    non2xx: result.non2xx,
    pingP99: pings.length ? pings[Math.min(pings.length - 1, Math.floor(pings.length * 0.99))] : null,
    processes: pids.size,
  };
}

/** Opens `count` keep-alive connections to a fresh server of one model, each asking once. */
async function idle(input: Record<string, unknown>) {
  const model = String(input.model);
  const count = Number(input.count ?? (model === 'threads' ? 20 : 2000));
  if (model !== 'event-loop' && model !== 'threads') throw bad('model must be "event-loop" or "threads"');
  const max = model === 'threads' ? 200 : 5000;
  if (!Number.isInteger(count) || count < 1 || count > max) throw bad(`count must be 1 to ${max} for ${model}`);
  const child = fork(new URL('models.ts', import.meta.url), [model], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  type Msg = { type: string; port?: number; rss?: number; connections?: number; threads?: number };
  const next = (type: string) =>
    new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${model} server did not answer in 60 s`)), 60_000);
      const on = (m: Msg) => m.type === type && (clearTimeout(timer), child.off('message', on), resolve(m));
      child.on('message', on);
      child.once('exit', () => reject(new Error(`the ${model} server exited`)));
    });
  const stats = async () => {
    const answer = next('stats');
    child.send({ type: 'stats' });
    return answer;
  };
  const sockets: Socket[] = [];
  try {
    const { port } = await next('listening');
    const before = await stats();
    const t0 = Date.now();
    // Connect in waves of 100, each connection asks once and then stays open, idle.
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, () =>
          new Promise<void>((resolve, reject) => {
            const s = connect(port!, HOST, () => s.write(`GET /ping HTTP/1.1\r\nhost: ${HOST}\r\nconnection: keep-alive\r\n\r\n`));
            sockets.push(s);
            s.once('data', () => resolve());
            s.once('error', reject);
            s.setTimeout(60_000, () => reject(new Error('a connection got no answer in 60 s')));
          }),
        ),
      );
    }
    const ms = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const after = await stats();
    return {
      model,
      count,
      ms,
      rssBefore: before.rss!,
      rssAfter: after.rss!,
      perConnectionKB: Math.round((after.rss! - before.rss!) / count / 102.4) / 10,
      connections: after.connections!,
      threads: after.threads!,
    };
  } finally {
    for (const s of sockets) s.destroy();
    child.kill();
  }
}

const server = createServer(async (req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (req.method === 'GET' && pathname === '/api/stats')
      return json(res, 200, { now: Date.now(), app: lastStats, waitingMs: pollingSince ? Date.now() - pollingSince : 0, samples: samples.slice(-120), busy });
    if (req.method === 'POST' && pathname === '/api/timeline') return json(res, 200, await exclusive('the timeline', async () => timeline(await body(req))));
    if (req.method === 'POST' && pathname === '/api/load') return json(res, 200, await exclusive('a load run', async () => load(await body(req))));
    if (req.method === 'POST' && pathname === '/api/idle') return json(res, 200, await exclusive('idle connections', async () => idle(await body(req))));
    const file = files[pathname];
    if (!file || req.method !== 'GET') return res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    const content = await readFile(new URL(file, import.meta.url));
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(content);
  } catch (err) {
    const status = (err as { status?: number }).status ?? (err instanceof SyntaxError ? 400 : 500);
    json(res, status, { error: (err as Error).message });
  }
});
server.listen(LAB_PORT, process.env.HOST ?? '127.0.0.1', () => console.log(`lab page on port ${LAB_PORT}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 300).unref();
  });

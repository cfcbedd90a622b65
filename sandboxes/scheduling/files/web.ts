// The sandbox's page and the little API behind it, the same in every step: it only reads
// the broker (schedulers, jobs, the boss's inbox) and passes Stop / Start to the worker.
import { createServer, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { INBOX, queue, redis, type Report } from './queue.ts';
import { CONTROL_CHANNEL } from './worker-control.ts';

const PORT = Number(process.env.PORT ?? 3000);
const files: Record<string, string> = {
  '/': 'public/index.html',
  '/index.html': 'public/index.html',
  '/page.js': 'public/page.js',
  '/style.css': 'public/style.css',
};
const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

const json = (res: ServerResponse, status: number, data: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(data));

async function state() {
  const [schedulers, counts, raw, worker, settings] = await Promise.all([
    queue.getJobSchedulers(0, -1, true),
    queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
    redis.lrange(INBOX, -400, -1),
    redis.hgetall('worker'),
    redis.hgetall('settings'),
  ]);
  return {
    now: Date.now(),
    // The zone a pattern without tz is read in: this machine's.
    zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    schedulers: schedulers.map((s) => ({ id: s.key, name: s.name, pattern: s.pattern ?? null, every: s.every ?? null, tz: s.tz ?? null, next: s.next ?? null, iterations: s.iterationCount ?? 0, from: (s.template?.data as { from?: string } | undefined)?.from ?? null })),
    counts,
    reports: raw.map((r) => JSON.parse(r) as Report),
    worker: { state: worker.state ?? 'starting', name: worker.name ?? '', since: Number(worker.since ?? 0) },
    settings,
  };
}

const server = createServer(async (req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (pathname === '/api/state' && req.method === 'GET') return json(res, 200, await state());
    if (pathname === '/api/worker' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const { action } = JSON.parse(body || '{}') as { action?: unknown };
      if (action !== 'stop' && action !== 'start') return json(res, 400, { error: 'action must be "stop" or "start"' });
      const heard = await redis.publish(CONTROL_CHANNEL, action);
      return json(res, heard ? 202 : 503, heard ? { action } : { error: 'the worker process is not listening: is it running?' });
    }
    if (pathname === '/api/work-ms' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const { name, ms } = JSON.parse(body || '{}') as { name?: unknown; ms?: unknown };
      if (typeof name !== 'string' || !/^[\w-]{1,40}$/.test(name) || typeof ms !== 'number' || !(ms >= 50 && ms <= 60_000))
        return json(res, 400, { error: 'give a job name and ms between 50 and 60000' });
      await redis.hset('settings', `work-ms:${name}`, String(Math.round(ms)));
      return json(res, 200, { name, ms });
    }
    const file = files[pathname];
    if (!file || req.method !== 'GET') return res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    const body = await readFile(new URL(file, import.meta.url));
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
  } catch (err) {
    json(res, 500, { error: (err as Error).message });
  }
});

server.listen(PORT, process.env.HOST ?? '127.0.0.1', () => console.log(`page on port ${PORT}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    server.close();
    setTimeout(() => process.exit(0), 1000).unref();
    void Promise.allSettled([queue.close(), redis.quit()]).finally(() => process.exit(0));
  });

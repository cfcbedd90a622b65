// The web app's plumbing, the same in every step: the HTTP server, the sign-up page, and the
// live jobs table. Plain node:http, so no framework hides the flow. You do not need to change
// it: the part each step is about, the signup handler, is in server.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { Job, QueueEvents } from 'bullmq';
import { connection, queue, redis, QUEUE_NAME, type WelcomeJob } from './queue.ts';

/** What server.ts gives serve(): a function that answers one request. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

// Accepts JSON (from the page's script) or a plain HTML form post.
export async function readForm(req: IncomingMessage): Promise<{ name: string; email: string }> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const fields = req.headers['content-type']?.includes('json')
    ? (JSON.parse(body || '{}') as Record<string, unknown>)
    : Object.fromEntries(new URLSearchParams(body));
  return { name: String(fields.name ?? '').trim(), email: String(fields.email ?? '').trim() };
}

export function reply(res: ServerResponse, status: number, data: object) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(data));
}

// ── The live table: queue events, relayed to the page as server-sent events ──────────────

// QueueEvents reads the queue's event stream in the broker, so it sees every state change,
// whichever worker process made it.
const queueEvents = new QueueEvents(QUEUE_NAME, { connection });
const pages = new Set<ServerResponse>();

function broadcast(event: string, data: unknown) {
  for (const page of pages) page.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

// One row of the page's table.
function row(job: Job<WelcomeJob>, status: string) {
  return {
    id: job.id,
    email: job.data.email,
    status,
    attemptsMade: job.attemptsMade,
    attempts: Math.max(job.opts.attempts ?? 1, 1), // 1 when queue.add did not set it
    progress: job.progress,
    failedReason: job.failedReason || undefined,
    stalls: job.stalledCounter,
  };
}

// Events are handled one at a time, in arrival order: a slow lookup must never let the page
// show "active" after "completed".
let pending = Promise.resolve();
const stallsSeen = new Map<string, number>();
function relay(event: string, jobId: string, extra: { prev?: string; runAt?: number } = {}) {
  pending = pending
    .then(async () => {
      const job = await Job.fromId<WelcomeJob>(queue, jobId);
      if (!job) return;
      // A failed attempt that will be retried does not emit "failed": the job goes from
      // active to delayed (waiting out its backoff) or straight back to waiting. Tell the
      // page it failed, and that it will retry.
      // A stalled job also goes from active back to waiting: its stall count tells them apart.
      const stalled = event === 'stalled' || job.stalledCounter > (stallsSeen.get(jobId) ?? 0);
      stallsSeen.set(jobId, job.stalledCounter);
      const backToQueue = event === 'delayed' || (event === 'waiting' && extra.prev === 'active');
      const retrying = backToQueue && !stalled && job.attemptsMade > 0 && !!job.failedReason;
      if (retrying) broadcast('job', { ...row(job, 'retrying'), event: 'failed', willRetry: true, ...extra });
      else if (stalled) broadcast('job', { ...row(job, 'stalled'), event: 'stalled', willRetry: false });
      else broadcast('job', { ...row(job, event === 'progress' ? 'active' : event), event, willRetry: false, ...extra });
    })
    .catch((err) => console.error('live table:', err.message));
}

queueEvents.on('waiting', ({ jobId, prev }) => relay('waiting', jobId, { prev }));
queueEvents.on('delayed', ({ jobId, delay }) => relay('delayed', jobId, { runAt: Number(delay) }));
queueEvents.on('active', ({ jobId }) => relay('active', jobId));
queueEvents.on('progress', ({ jobId }) => relay('progress', jobId));
queueEvents.on('completed', ({ jobId }) => relay('completed', jobId));
queueEvents.on('failed', ({ jobId }) => relay('failed', jobId));
queueEvents.on('stalled', ({ jobId }) => relay('stalled', jobId));

// What a page sees when it connects: the most recent jobs and emails.
async function snapshot() {
  const rows = [];
  for (const state of ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'] as const) {
    for (const job of await queue.getJobs(state, 0, 19)) {
      if (!job?.id) continue;
      const status = state === 'delayed' && job.attemptsMade > 0 ? 'retrying' : state;
      rows.push({ ...row(job as Job<WelcomeJob>, status), timestamp: job.timestamp });
    }
  }
  rows.sort((a, b) => b.timestamp - a.timestamp);
  const emails = (await redis.lrange('outbox', -10, -1)).map((e) => JSON.parse(e));
  return { jobs: rows.slice(0, 20), emails };
}

// The mail server appends to the "outbox" list; pass new emails on to the pages.
let emailsSeen = await redis.llen('outbox');
setInterval(async () => {
  const total = await redis.llen('outbox');
  if (total < emailsSeen) emailsSeen = total; // the list was cleared
  if (total === emailsSeen) return;
  const fresh = await redis.lrange('outbox', emailsSeen, total - 1);
  emailsSeen = total;
  for (const e of fresh) broadcast('email', JSON.parse(e));
}, 500);

async function events(req: IncomingMessage, res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // Subscribe first, then send the snapshot: an event that lands while the snapshot is
  // being read still reaches the page (which merges the two).
  pages.add(res);
  req.on('close', () => pages.delete(res));
  res.write(`event: snapshot\ndata: ${JSON.stringify(await snapshot())}\n\n`);
}

// A comment line now and then keeps proxies from closing an idle stream.
setInterval(() => pages.forEach((page) => page.write(': ping\n\n')), 15_000);

// ── Routing ───────────────────────────────────────────────────────────────────────────────

/** Starts the web server: GET serves the page and its live events; POST <name> runs actions[name]. */
export function serve(actions: Record<string, Handler>) {
  const server = createServer(async (req, res) => {
    // The preview may serve this app under a path prefix (/preview/…/), so route on the last
    // path segment, and the page uses relative URLs only.
    const route = new URL(req.url ?? '/', 'http://localhost').pathname.split('/').pop() ?? '';
    try {
      if (req.method === 'GET' && (route === '' || route === 'index.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(await readFile(new URL('./index.html', import.meta.url)));
      }
      if (req.method === 'GET' && route === 'events') return await events(req, res);
      // hasOwn, so that "POST constructor" is a 404, not a method every object inherits.
      if (req.method === 'POST' && Object.hasOwn(actions, route)) return await actions[route]!(req, res);
      reply(res, 404, { error: `no route for ${req.method} ${req.url}` });
    } catch (err) {
      console.error(err);
      if (!res.headersSent) reply(res, 500, { error: (err as Error).message });
    }
  });

  const port = Number(process.env.PORT ?? 3000);
  // Loopback only: the runner passes HOST (127.0.0.1); nothing else on the network reaches the sandbox.
  server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`web server listening on port ${port}`));

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.close();
      process.exit(0);
    });
  }
}

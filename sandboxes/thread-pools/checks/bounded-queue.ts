// Step 4: a flood is refused, not queued without end. The check keeps more io requests in the
// server's hands than the pool's threads and queue can hold, and expects: some answered 503 with Retry-After,
// the queue never longer than MAX_QUEUE, at least a queue's worth accepted, and every accepted
// request answered with its result.
import { request } from 'node:http';
import { check, Fail, log, state, web } from './lib.ts';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** One GET on a connection of its own (no keep-alive to race with), as a client in a flood. */
function get(url: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 45_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, body }));
      res.on('error', (err) => resolve({ status: 0, retryAfter: null, body: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 45 s')));
    req.on('error', (err) => resolve({ status: 0, retryAfter: null, body: err.message }));
    req.end();
  });
}

/** Keeps `clients` requests open at once until `count` are answered; what came back, and the queue's peak. */
async function flood(clients: number, count: number) {
  const answers: Answer[] = [];
  let sent = 0;
  const client = async () => {
    while (sent < count) {
      sent++;
      answers.push(await get(`${web}/api/io`));
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { answers, after: await state() };
}

await check(85_000, async () => {
  const before = await state(true);
  const { size } = before.pools.io;
  const cap = before.maxQueue;
  // Clients that send their next request as soon as they have an answer keep this many in the
  // server's hands at every moment. On a very busy machine the server may accept them more
  // slowly than its threads finish tasks, and the queue never fills: that proves nothing
  // either way, so the flood is sent again, wider, before anything is judged.
  let clients = size + cap + 200;
  let count = clients + 600;
  let answers: Answer[] = [];
  let after = before;
  for (let round = 1; round <= 3; round++) {
    if (round > 1) {
      await state(true);
      clients *= 2;
      count = clients + 600;
      log(`the queue never filled (it peaked at ${after.pools.io.peakQueued} of ${cap}); flooding again, wider`);
    }
    log(`sending ${count} io requests, ${clients} at a time, to a pool of ${size} threads with MAX_QUEUE ${cap}`);
    ({ answers, after } = await flood(clients, count));
    if (answers.some((a) => a.status === 503) || after.pools.io.peakQueued >= cap) break;
  }
  const ok = answers.filter((a) => a.status === 200);
  const busy = answers.filter((a) => a.status === 503);
  const other = answers.filter((a) => a.status !== 200 && a.status !== 503);
  const peak = after.pools.io.peakQueued;
  log(`${ok.length} answered 200, ${busy.length} answered 503, ${other.length} otherwise; the queue peaked at ${peak}`);
  log(`server memory: rss ${(before.memory.rss / 2 ** 20).toFixed(0)} MB before, ${(after.memory.rss / 2 ** 20).toFixed(0)} MB after`);
  if (other.length)
    throw new Fail(`${other.length} of ${count} requests got neither a result nor a 503 (first: ${other[0]!.status || 'no answer'} ${other[0]!.body.slice(0, 120)}): an accepted task must complete. Look at the web terminal.`);
  const bad = ok.find((a) => {
    try {
      const r = JSON.parse(a.body) as { kind?: string; value?: string };
      return r.kind !== 'io' || typeof r.value !== 'string' || r.value.length !== 64;
    } catch {
      return true;
    }
  });
  if (bad) throw new Fail(`An accepted request answered 200 without its task's result (${bad.body.slice(0, 120)}): answer 200 only with the result.`);
  if (!busy.length && peak < cap)
    throw new Error(`${count} requests, ${clients} at a time, never filled the queue (it peaked at ${peak} of MAX_QUEUE ${cap}): this machine is too busy right now to flood the server. Press Check again in a moment.`);
  if (!busy.length)
    throw new Fail(
      `All ${count} requests were accepted and the queue grew to ${peak} tasks, each holding its request and memory until a thread is free. Cap it: in pool.ts, make run() reject with QueueFull when maxQueue tasks already wait, and in routes.ts answer that with 503 and a Retry-After header.`,
    );
  const noRetry = busy.find((a) => !/^\d+$/.test(a.retryAfter ?? '') || Number(a.retryAfter) < 1);
  if (noRetry)
    throw new Fail(`The 503 answers say no Retry-After (got ${noRetry.retryAfter === null ? 'none' : `"${noRetry.retryAfter}"`}): tell clients when to come back, in whole seconds, e.g. res.writeHead(503, { 'retry-after': '1' }).`);
  if (peak > cap)
    throw new Fail(`The queue reached ${peak} tasks, above MAX_QUEUE (${cap}): run() must reject as soon as maxQueue tasks wait, not later.`);
  if (ok.length < cap)
    throw new Fail(`Only ${ok.length} of ${count} requests were accepted, fewer than MAX_QUEUE (${cap}): reject only when every thread is busy and maxQueue tasks already wait.`);
  if (after.served.ok < ok.length)
    throw new Fail(`The server counts ${after.served.ok} io requests answered, but ${ok.length} got a 200: look at the web terminal.`);
  return `${count} requests, ${clients} at a time: ${ok.length} accepted and every one answered with its result, ${busy.length} refused with 503 and Retry-After ${busy[0]!.retryAfter}; the queue never held more than ${peak} (MAX_QUEUE ${cap}).`;
});

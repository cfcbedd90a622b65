// Step 4: bounded waiting, two rules, each probed on its own.
//  1. Slow clients are closed on time: a client that sends its headers a few bytes at a time
//     and never finishes must be closed within 10 s of connecting (headersTimeout 5 s, checked
//     every second). Two such clients, the second opened after the first was closed, so that
//     one lucky sweep of Node's default 30 s check cannot pass for a timeout.
//     Meanwhile normal requests must keep succeeding.
//  2. A cap on concurrent hashes: 32 /hash requests at once; the server's stamps must show at
//     most 4 hashing at the same time in any one process, and the rest turned away with 503
//     and Retry-After.
import { connect } from 'node:net';
import { APP_PORT, check, Fail, get, HOST, log, maxOverlap, sleep } from './lib.ts';

const CLOSE_WITHIN_MS = 10_000;
const MAX_HASHES = 4;

/** A client sending "x-slow: aaaa…" forever, a byte every 200 ms. Resolves when the server closes it (ms after connecting), or undefined after `waitMs`. */
function slowClient(waitMs: number): Promise<{ ms?: number; answer: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let answer = '';
    const socket = connect(APP_PORT, HOST, () => socket.write(`GET /ping HTTP/1.1\r\nhost: ${HOST}\r\nx-slow: `));
    const drip = setInterval(() => socket.writable && socket.write('a'), 200);
    const done = (ms?: number) => {
      clearInterval(drip);
      clearTimeout(timer);
      socket.destroy();
      resolve({ ms, answer: answer.split('\r\n')[0] ?? '' });
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => done(Date.now() - t0));
    socket.on('error', () => {});
  });
}

await check(55_000, async () => {
  // Rule 1, with normal requests alongside.
  let pinging = true;
  const pings = { ok: 0, failed: 0 };
  const pinger = (async () => {
    while (pinging) {
      const r = await get('/ping', { timeoutMs: 5000 }).catch(() => undefined);
      if (r?.status === 200) pings.ok++;
      else pings.failed++;
      await sleep(250);
    }
  })();
  const crowd = Array.from({ length: 20 }, () => slowClient(CLOSE_WITHIN_MS));
  for (const n of [1, 2]) {
    const { ms, answer } = await (n === 1 ? crowd[0]! : slowClient(CLOSE_WITHIN_MS));
    log(`slow client ${n}: ${ms === undefined ? `still connected after ${CLOSE_WITHIN_MS / 1000} s` : `closed after ${(ms / 1000).toFixed(1)} s${answer ? ` (${answer})` : ''}`}`);
    if (ms === undefined) {
      pinging = false;
      throw new Fail(
        `A client sending its headers a byte at a time was still connected after ${CLOSE_WITHIN_MS / 1000} s${n === 2 ? ' (the first was closed, the second was not: a sweep happened to pass by)' : ''}: Node gives headers 60 s and checks every 30 s. In server.ts, set OPTIONS to { headersTimeout: 5_000, requestTimeout: 10_000, connectionsCheckingInterval: 1_000 }.`,
      );
    }
  }
  const rest = await Promise.all(crowd);
  pinging = false;
  await pinger;
  const closed = rest.filter((r) => r.ms !== undefined).length;
  log(`${closed} of ${rest.length} slow clients closed; meanwhile ${pings.ok} normal requests succeeded, ${pings.failed} failed`);
  if (closed < rest.length) throw new Fail(`${rest.length - closed} of ${rest.length} slow clients were still connected after ${CLOSE_WITHIN_MS / 1000} s: set headersTimeout: 5_000 and connectionsCheckingInterval: 1_000 in server.ts's OPTIONS.`);
  if (pings.failed || !pings.ok) throw new Fail(`Normal requests failed while slow clients were connected (${pings.failed} of ${pings.ok + pings.failed}): look at the app's terminal.`);

  // Rule 2.
  const replies = await Promise.all(Array.from({ length: 32 }, () => get('/hash', { timeoutMs: 40_000 })));
  const ok = replies.filter((r) => r.status === 200);
  const refused = replies.filter((r) => r.status === 503);
  const byPid = new Map<number, Array<[number, number]>>();
  for (const r of ok) byPid.set(r.pid, [...(byPid.get(r.pid) ?? []), [r.started, r.ended]]);
  const most = Math.max(0, ...[...byPid.values()].map(maxOverlap));
  log(`32 /hash at once: ${ok.length} hashed, ${refused.length} turned away; at most ${most} hashing at once in one process (${byPid.size} process${byPid.size === 1 ? '' : 'es'})`);
  const other = replies.find((r) => r.status !== 200 && r.status !== 503);
  if (other) throw new Fail(`GET /hash answered ${other.status}: look at the app's terminal.`);
  if (most > MAX_HASHES || !refused.length)
    throw new Fail(
      `${most} hashes ran at once in one process and ${refused.length ? 'some' : 'none'} of 32 were turned away: cap them. In views.ts, count the hashes in progress and, at ${MAX_HASHES}, answer 503 with a retry-after header at once instead of hashing.`,
    );
  if (!refused.every((r) => r.headers['retry-after']))
    throw new Fail(`/hash answered 503 without a Retry-After header: add headers: { 'retry-after': '1' } so clients know when to come back.`);
  return `Slow clients were closed within ${CLOSE_WITHIN_MS / 1000} s while ${pings.ok} normal requests succeeded, and 32 hashes at once ran at most ${most} at a time per process, ${refused.length} turned away with 503.`;
});

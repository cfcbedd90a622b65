// Step 3: a peer that stops answering pings is dropped within two heartbeat intervals (plus
// a second of slack), while one that answers stays; the room hears the silent one leave.
import { check, Fail, freshRoom, join, log, sleep } from './lib.ts';

// The reader's settings.ts, beside the checks/ folder in the running sandbox.
const { HEARTBEAT_INTERVAL_MS } = (await import(new URL('../settings.ts', import.meta.url).href)) as { HEARTBEAT_INTERVAL_MS: number };

await check(async () => {
  if (HEARTBEAT_INTERVAL_MS > 5000)
    throw new Fail(`HEARTBEAT_INTERVAL_MS is ${HEARTBEAT_INTERVAL_MS} in settings.ts; set it back to 1000 for this check (production uses 20–30 s).`);
  const bound = 2 * HEARTBEAT_INTERVAL_MS + 1000;
  const room = freshRoom('hb');
  const healthy = await join('a', room, 'Healthy');
  // autoPong: false — this client hears pings and never answers, like a laptop with its lid shut.
  const silent = await join('a', room, 'Silent', { autoPong: false });
  log(`Healthy and Silent joined #${room}; Silent will not answer pings`);

  const closed = await silent.closedWithin(bound + 2000);
  if (!closed) {
    if (silent.pings === 0) throw new Fail(`Silent was still connected after ${(bound + 2000) / 1000} s and never received a ping: startHeartbeat() must ping every connection every HEARTBEAT_INTERVAL_MS.`);
    throw new Fail(`Silent received ${silent.pings} pings and answered none, yet was still connected after ${(bound + 2000) / 1000} s: terminate a connection that has not answered the previous ping.`);
  }
  const took = closed.at - silent.openedAt;
  log(`Silent was dropped ${took} ms after connecting, after ${silent.pings} pings`);
  if (took > bound) throw new Fail(`Silent was dropped after ${took} ms; with HEARTBEAT_INTERVAL_MS = ${HEARTBEAT_INTERVAL_MS} it should go within ${bound} ms (two intervals and a second).`);
  if (healthy.isClosed) throw new Fail('Healthy, which answers every ping, was disconnected too: only terminate a connection that missed its pong.');
  await sleep(HEARTBEAT_INTERVAL_MS * 2);
  if (healthy.isClosed) throw new Fail('Healthy, which answers every ping, was disconnected: remember the pong (ws.on("pong")) and only terminate a connection that missed it.');
  if (healthy.pings === 0) throw new Fail('Healthy never received a ping: the heartbeat must ping every connection.');
  if (!healthy.seen('leave', (e) => e.name === 'Silent').length) throw new Fail('Silent was dropped, but the room was not told it left: terminate() closes the socket, so disconnect() should run and announce it.');
  return `A silent peer is dropped in ${took} ms (bound ${bound} ms); peers that answer stay.`;
});

// Step 3: a peer that stops answering pings is dropped within two heartbeat intervals (plus
// a second of slack), while one that answers stays; the room hears the silent one leave.
// And startHeartbeat() returns a function that stops the timer: the check calls the reader's
// own startHeartbeat() on a WebSocketServer of its own, then the function it returned, and
// counts the pings that still arrive.
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { check, Fail, freshRoom, join, log, sleep } from './lib.ts';

// The reader's settings.ts, beside the checks/ folder in the running sandbox.
const { HEARTBEAT_INTERVAL_MS } = (await import(new URL('../settings.ts', import.meta.url).href)) as { HEARTBEAT_INTERVAL_MS: number };

type StartHeartbeat = (wss: WebSocketServer, intervalMs?: number) => unknown;

const STOP_RULE = 'return a function that stops the timer (clearInterval); server.ts calls it on shutdown';

/** Starts the reader's heartbeat on a server of the check's own, stops it, and watches the pings stop. */
async function stopsWhenAsked(): Promise<string> {
  const { startHeartbeat } = (await import(new URL('../heartbeat.ts', import.meta.url).href)) as { startHeartbeat: StartHeartbeat };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => (wss.once('listening', resolve), wss.once('error', reject)));
  const stop = startHeartbeat(wss, HEARTBEAT_INTERVAL_MS);
  if (typeof stop !== 'function')
    throw new Fail(`startHeartbeat() returned ${stop === undefined ? 'nothing' : `a ${typeof stop}`}: ${STOP_RULE}.`);
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`);
  client.on('error', () => {});
  let pings = 0;
  client.on('ping', () => pings++);
  try {
    // Pings first, so that their stopping means something.
    const deadline = Date.now() + 3 * HEARTBEAT_INTERVAL_MS + 3000;
    while (pings === 0 && Date.now() < deadline) await sleep(50);
    if (pings === 0) throw new Fail(`startHeartbeat() never pinged a client of the WebSocketServer it was given: walk wss.clients and ping() each.`);
    stop();
    // A ping already on its way when stop() ran may still arrive; any more means the timer runs on.
    const atStop = pings;
    const watch = 4 * HEARTBEAT_INTERVAL_MS;
    await sleep(watch);
    const after = pings - atStop;
    if (after > 1)
      throw new Fail(`After the function startHeartbeat() returned was called, the heartbeat went on pinging (${after} pings in ${watch / 1000} s): ${STOP_RULE}.`);
    return `its stop function stops the pings`;
  } finally {
    client.terminate();
    wss.close();
  }
}

await check(async () => {
  if (HEARTBEAT_INTERVAL_MS > 5000)
    throw new Fail(`HEARTBEAT_INTERVAL_MS is ${HEARTBEAT_INTERVAL_MS} in settings.ts; set it back to 1000 for this check (production uses 20–30 s).`);
  // Runs beside the rest, on its own server: it shares nothing with the chat instances.
  const stopping = stopsWhenAsked().then(
    (line) => ({ line }),
    (err: unknown) => ({ err }),
  );

  const bound = 2 * HEARTBEAT_INTERVAL_MS + 1000;
  const room = freshRoom('hb');
  const healthy = await join('a', room, 'Healthy');
  const silent = await join('a', room, 'Silent', { autoPong: false });
  // From now on Silent reads nothing, like a laptop with its lid shut: ws in this process never
  // sees the server's frames, so it answers neither a ping nor a close frame (close() would wait
  // 30 s for that answer). The connection ending (FIN) still reaches ws, and Silent closes.
  const raw = (silent.socket as unknown as { _socket: Socket })._socket;
  raw.removeAllListeners('data');
  raw.on('data', () => {}); // read and dropped: the stream keeps flowing, so the FIN is seen
  log(`Healthy and Silent joined #${room}; Silent reads and answers nothing from now on`);

  const closed = await silent.closedWithin(bound + 2000);
  if (!closed) {
    // Healthy reads everything and has been connected longer: whether it was pinged says
    // whether the server pings at all (Silent's raw bytes may be other frames, a join say).
    if (healthy.pings === 0)
      throw new Fail(`Silent was still connected after ${(bound + 2000) / 1000} s, and Healthy never received a ping either: startHeartbeat() must ping every connection every HEARTBEAT_INTERVAL_MS.`);
    throw new Fail(
      `Silent answered none of the pings it was sent, yet was still connected after ${(bound + 2000) / 1000} s: terminate() a connection that has not answered the previous ping (close() waits for a closing handshake that a vanished peer never sends).`,
    );
  }
  const took = closed.at - silent.openedAt;
  log(`Silent was dropped ${took} ms after connecting`);
  if (took > bound) throw new Fail(`Silent was dropped after ${took} ms; with HEARTBEAT_INTERVAL_MS = ${HEARTBEAT_INTERVAL_MS} it should go within ${bound} ms (two intervals and a second).`);
  const unpinged = () => {
    if (healthy.isClosed && healthy.pings === 0)
      throw new Fail('Healthy was disconnected and never received a ping: ping() every connection each round, and terminate only one that has not answered the previous ping.');
  };
  unpinged();
  if (healthy.isClosed) throw new Fail('Healthy, which answers every ping, was disconnected too: only terminate a connection that missed its pong.');
  await sleep(HEARTBEAT_INTERVAL_MS * 2);
  unpinged();
  if (healthy.isClosed) throw new Fail('Healthy, which answers every ping, was disconnected: remember the pong (ws.on("pong")) and only terminate a connection that missed it.');
  if (healthy.pings === 0) throw new Fail('Healthy never received a ping: the heartbeat must ping every connection.');
  if (!healthy.seen('leave', (e) => e.name === 'Silent').length) throw new Fail('Silent was dropped, but the room was not told it left: terminate() closes the socket, so disconnect() should run and announce it.');

  const stopped = await stopping;
  if ('err' in stopped) throw stopped.err;
  log(`startHeartbeat() on the check's own server: ${stopped.line}`);
  return `A silent peer is dropped in ${took} ms (bound ${bound} ms); peers that answer stay; startHeartbeat()'s stop function stops the pings.`;
});

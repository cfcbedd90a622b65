// Step 2: password hashes do not hold up other requests. The check measures /health's
// latency when the app is idle, then again while as many hashes as the CPU pool has threads
// run back to back, and compares the two, and with how long a hash takes.
import { call, check, Fail, log, median, ms, sleep, state, web } from './lib.ts';

async function health(): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${web}/health`, { signal: AbortSignal.timeout(20_000) });
  await res.text();
  return performance.now() - t;
}

await check(55_000, async () => {
  const { pools } = await state();
  const clients = Math.max(2, pools.cpu.size);
  await health();
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) {
    idle.push(await health());
    await sleep(20);
  }
  const idleMs = median(idle);
  log(`/health when idle: median ${ms(idleMs)}`);

  const hashes: { computeMs: number; threadId: number }[] = [];
  let stop = false;
  const hasher = async () => {
    while (!stop) hashes.push(await call<{ computeMs: number; threadId: number }>('/api/hash', { password: 'correct horse battery staple' }, 30_000));
  };
  const load = Array.from({ length: clients }, hasher);
  await sleep(300);
  const busy: number[] = [];
  const end = Date.now() + 3000;
  while (Date.now() < end || busy.length < 10) {
    busy.push(await health());
    // A random gap, not a fixed one: a fixed gap locks in step with the hashes (each probe
    // lands at the same point of a hash) and measures one phase instead of the typical wait.
    await sleep(10 + Math.random() * 100);
  }
  stop = true;
  await Promise.all(load);
  const busyMs = median(busy);
  const hashMs = median(hashes.map((h) => h.computeMs));
  const where = [...new Set(hashes.map((h) => (h.threadId === 0 ? 'the main thread' : `thread ${h.threadId}`)))].join(', ');
  log(`${hashes.length} hashes by ${clients} clients, median ${ms(hashMs)} each, on ${where}`);
  log(`/health meanwhile: median ${ms(busyMs)} over ${busy.length} requests`);
  if (busyMs > 4 * idleMs && busyMs > hashMs / 4)
    throw new Fail(
      `While password hashes ran, /health took a median ${ms(busyMs)} against ${ms(idleMs)} when idle (${(busyMs / idleMs).toFixed(0)}× as long; a hash takes ${ms(hashMs)}): the hashes run on the thread that runs the event loop, and every other request waits for them. In routes.ts, run them on the CPU pool: await cpuPool.run({ kind: 'hash', … }).`,
    );
  return `While ${clients} clients hashed passwords (${ms(hashMs)} each), /health answered in a median ${ms(busyMs)}, against ${ms(idleMs)} when idle: the event loop stayed free.`;
});

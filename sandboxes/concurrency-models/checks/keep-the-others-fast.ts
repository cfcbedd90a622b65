// Step 2: a CPU-heavy request must not stall the others. The check times /ping at rest, then
// while two clients keep /hash busy, and compares: a ping that has to wait for a hash on the
// event loop takes about as long as a hash; one that does not stays near its idle time. It
// decides on the median ping (a busy machine gives any single request a bad moment) measured
// against one hash's own time on this machine, and prints p99 against its idle p99.
import { check, Fail, get, log, percentile, sleep } from './lib.ts';

const PINGS = 30;

await check(55_000, async () => {
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await get('/ping');
    idle.push(r.received - r.sent);
  }
  // One hash alone, three times: how long the work takes on this machine, now (the median).
  const alone: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await get('/hash');
    if (r.status !== 200) throw new Fail(`GET /hash answered ${r.status}: look at the app's terminal for the error in views.ts.`);
    alone.push(r.received - r.sent);
  }
  const hashMs = percentile(alone, 50);
  log(`/ping at rest: p50 ${percentile(idle, 50)} ms, p99 ${percentile(idle, 99)} ms; one /hash alone: ${hashMs} ms`);

  // Two clients ask for hashes back to back; meanwhile, a ping every 10–110 ms. The gap is
  // random: a fixed one falls in step with the hashes and samples one phase of them only.
  let loading = true;
  const hashes: number[] = [];
  const hashers = [0, 1].map(async () => {
    while (loading) {
      const r = await get('/hash');
      hashes.push(r.received - r.sent);
    }
  });
  await sleep(100);
  const busy: number[] = [];
  for (let i = 0; i < PINGS; i++) {
    const r = await get('/ping');
    busy.push(r.received - r.sent);
    await sleep(10 + Math.random() * 100);
  }
  loading = false;
  await Promise.all(hashers);
  const p99 = percentile(busy, 99);
  const idleP99 = Math.max(1, percentile(idle, 99));
  log(`/ping while /hash is busy (${hashes.length} hashes): p50 ${percentile(busy, 50)} ms, p99 ${p99} ms, ${(p99 / idleP99).toFixed(1)}× its idle p99`);
  // Held up by hashes on the loop, a ping waits for the rest of the current hash, and often
  // the next: its median comes near half a hash or more. Free of them, it stays far below.
  if (percentile(busy, 50) >= hashMs / 4)
    throw new Fail(
      `/ping waited for /hash: p50 ${percentile(busy, 50)} ms and p99 ${p99} ms under load against ${idleP99} ms at rest (${(p99 / idleP99).toFixed(1)}×), next to ${hashMs} ms for one hash. pbkdf2Sync hashes on the event loop; in views.ts, await a promisified pbkdf2 instead, which runs on libuv's thread pool.`,
    );
  return `/ping kept answering while /hash was busy: p50 ${percentile(busy, 50)} ms, p99 ${p99} ms against ${idleP99} ms at rest (${(p99 / idleP99).toFixed(1)}×), next to ${hashMs} ms for one hash.`;
});

// Step 1: the article's view, opened five times at once. With a blocking wait the requests run
// one after another; with an awaited one all five are in progress together, and the whole
// takes about one wait. The check reads the server's own start and end stamps.
import { check, Fail, get, log, maxOverlap } from './lib.ts';

const SECONDS = 2;
const COUNT = 5;

await check(35_000, async () => {
  const t0 = Date.now();
  const replies = await Promise.all(Array.from({ length: COUNT }, () => get(`/archive?seconds=${SECONDS}`, { timeoutMs: 30_000 })));
  const total = Date.now() - t0;
  const bad = replies.find((r) => r.status !== 200);
  if (bad) throw new Fail(`GET /archive answered ${bad.status}: look at the app's terminal for the error in views.ts.`);
  replies.forEach((r, i) => log(`request ${i + 1}: handler ran ${r.started - t0}–${r.ended - t0} ms after the first was sent`));
  const shortest = Math.min(...replies.map((r) => r.ended - r.started));
  if (shortest < SECONDS * 1000 * 0.9)
    throw new Fail(`archive() answered in ${shortest} ms: it must still wait the seconds it is given (${SECONDS} s here), only without blocking: await setTimeout(seconds * 1000) from node:timers/promises.`);
  const together = maxOverlap(replies.map((r) => [r.started, r.ended]));
  log(`at most ${together} of ${COUNT} were in progress at once; all ${COUNT} took ${(total / 1000).toFixed(1)} s for ${SECONDS} s waits`);
  if (together < COUNT)
    throw new Fail(
      `The ${COUNT} requests to /archive ran ${together === 1 ? 'one after another' : `at most ${together} at a time`} (${(total / 1000).toFixed(1)} s in all for ${SECONDS} s waits): sleepSync blocks the event loop. In views.ts, await setTimeout(seconds * 1000) from node:timers/promises instead.`,
    );
  return `All ${COUNT} requests to /archive were in progress at once: ${(total / 1000).toFixed(1)} s in all, about one ${SECONDS} s wait, not ${COUNT}.`;
});

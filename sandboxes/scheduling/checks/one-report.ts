// Step 3: with both app instances registering the digest at start-up, each firing must
// produce exactly one report. The check watches at least 5 firings of the digest and counts
// the reports for each.
import { check, clock, Fail, inbox, log, perFiring, queue, sleep, waitFor } from './lib.ts';

await check(55_000, async () => {
  const schedulers = await queue.getJobSchedulers();
  const digests = schedulers.filter((s) => s.name === 'digest');
  log(`job schedulers in the broker: ${schedulers.map((s) => `${s.key}${s.template?.data ? ` (from app-${(s.template.data as { from?: string }).from})` : ''}`).join(', ') || 'none'}`);
  if (!digests.length)
    throw new Fail("The broker holds no scheduler for the digest: keep its queue.upsertJobScheduler(…, { pattern: '*/5 * * * * *' }, { name: 'digest', … }) in schedules.ts.");

  const since = Date.now();
  const seen = await waitFor(async () => {
    const firings = perFiring(await inbox(), (r) => r.name === 'digest' && r.due >= since);
    return firings.size >= 5 ? firings : undefined;
  }, 35_000);
  if (!seen) throw new Fail('Fewer than 5 digest firings in 35 s: is the worker running, and does the digest fire every 5 s (\'*/5 * * * * *\')?');
  await sleep(1500); // a second report for the last firing may still be on its way
  const firings = perFiring(await inbox(), (r) => r.name === 'digest' && r.due >= since && r.due <= Math.max(...[...seen.values()].map((rs) => rs[0]!.due)));
  for (const [, reports] of firings) log(`digest due ${clock(reports[0]!.due)}: ${reports.length} report(s), from ${reports.map((r) => r.schedule).join(' and ')}`);
  const twice = [...firings.values()].find((reports) => reports.length > 1);
  if (twice) {
    const ids = [...new Set(twice.map((r) => r.schedule))];
    throw new Fail(
      ids.length > 1
        ? `The digest due at ${clock(twice[0]!.due)} was sent ${twice.length} times, by schedulers ${ids.join(' and ')}: each app instance upserts a scheduler of its own. Give every instance the same id, 'digest', so the second upsert updates the first.`
        : `The digest due at ${clock(twice[0]!.due)} was sent ${twice.length} times by scheduler ${ids[0]}: look at the worker terminal.`,
    );
  }
  return `${firings.size} digest firings with both app instances registering the schedule: exactly one report each.`;
});

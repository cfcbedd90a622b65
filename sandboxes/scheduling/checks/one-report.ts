// Step 3: with both app instances registering the digest at start-up, each firing must
// produce exactly one report. The check watches at least 5 firings of the digest and counts
// the reports for each.
import { check, clock, Fail, inbox, log, perFiring, queue, waitFor, type Report } from './lib.ts';

await check(55_000, async () => {
  const schedulers = await queue.getJobSchedulers();
  const digests = schedulers.filter((s) => s.name === 'digest');
  log(`job schedulers in the broker: ${schedulers.map((s) => `${s.key}${s.template?.data ? ` (from app-${(s.template.data as { from?: string }).from})` : ''}`).join(', ') || 'none'}`);
  if (!digests.length)
    throw new Fail("The broker holds no scheduler for the digest: keep its queue.upsertJobScheduler(…, { pattern: '*/5 * * * * *' }, { name: 'digest', … }) in schedules.ts.");

  // Watch firings from now on. A firing counts once its reports have had 1.5 s to arrive;
  // the first one with two reports ends the check.
  const since = Date.now();
  let settled: Map<string, Report[]> = new Map();
  const outcome = await waitFor(async () => {
    const all = perFiring(await inbox(), (r) => r.name === 'digest' && r.due >= since);
    settled = new Map([...all].filter(([, reports]) => Date.now() - reports[0]!.sent > 1500));
    if ([...settled.values()].some((reports) => reports.length > 1)) return 'twice';
    return settled.size >= 5 ? 'done' : undefined;
  }, 40_000, 300);
  if (!outcome) throw new Fail(`Only ${settled.size} digest firing(s) in 40 s: is the worker running, and does the digest fire every 5 s ('*/5 * * * * *')?`);
  for (const [, reports] of settled) log(`digest due ${clock(reports[0]!.due)}: ${reports.length} report(s), from ${reports.map((r) => r.schedule).join(' and ')}`);
  const twice = [...settled.values()].find((reports) => reports.length > 1);
  if (twice) {
    const ids = [...new Set(twice.map((r) => r.schedule))];
    throw new Fail(
      ids.length > 1
        ? `The digest due at ${clock(twice[0]!.due)} was sent ${twice.length} times, by schedulers ${ids.join(' and ')}: each app instance upserts a scheduler of its own. Give every instance the same id, 'digest', so the second upsert updates the first.`
        : `The digest due at ${clock(twice[0]!.due)} was sent ${twice.length} times by scheduler ${ids[0]}: look at the worker terminal.`,
    );
  }
  const firings = settled;
  return `${firings.size} digest firings with both app instances registering the schedule: exactly one report each.`;
});

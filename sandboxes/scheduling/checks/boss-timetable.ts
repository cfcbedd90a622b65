// Step 2: the boss's report must be due next on Monday at 09:00 in Asia/Shanghai. The check
// reads the scheduler's next firing from the broker and compares it with that instant,
// computed here from the zone's offset as the platform's Intl reports it (no cron parser).
import { check, Fail, log, queue } from './lib.ts';

const ZONE = 'Asia/Shanghai';

/** The zone's offset from UTC at an instant, in ms (Shanghai: +8 h). */
function offsetAt(ms: number, zone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(ms)
      .map((p) => [p.type, Number(p.value)]),
  );
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The first Monday 09:00 in the zone after `from`. */
function nextMondayNine(from: number, zone: string): number {
  for (let day = 0; day <= 8; day++) {
    const local = new Date(from + offsetAt(from, zone) + day * 86_400_000); // read as UTC: the zone's wall clock
    if (local.getUTCDay() !== 1) continue;
    const wall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), 9, 0, 0);
    const instant = wall - offsetAt(wall - offsetAt(wall, zone), zone);
    if (instant > from) return instant;
  }
  throw new Error('no Monday in the next 8 days');
}

const show = (ms: number, zone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms);

await check(15_000, async () => {
  const schedulers = await queue.getJobSchedulers();
  const boss = schedulers.find((s) => s.key === 'boss-report') ?? schedulers.find((s) => s.name === 'boss-report');
  log(`job schedulers in the broker: ${schedulers.map((s) => s.key).join(', ') || 'none'}`);
  if (!boss) throw new Fail("The broker holds no 'boss-report' scheduler: keep its queue.upsertJobScheduler('boss-report', …) in schedules.ts.");
  const now = Date.now();
  const expected = nextMondayNine(now, ZONE);
  const timetable = boss.pattern ? `pattern "${boss.pattern}"${boss.tz ? ` in ${boss.tz}` : ' with no tz'}` : `every ${boss.every} ms`;
  log(`${boss.key}: ${timetable}`);
  if (!boss.next) throw new Fail(`Scheduler "${boss.key}" has no next firing: its end date or limit has passed. Give it no endDate or limit.`);
  log(`next firing in the broker: ${show(boss.next, 'UTC')} UTC = ${show(boss.next, ZONE)} in Shanghai`);
  log(`Monday 09:00 in ${ZONE}:    ${show(expected, 'UTC')} UTC = ${show(expected, ZONE)} in Shanghai`);
  if (Math.abs(boss.next - expected) < 1000)
    return `"${boss.key}" fires next on ${show(expected, ZONE)} in Shanghai (${show(expected, 'UTC')} UTC), as the boss asked.`;

  const when = `"${boss.key}" fires next on ${show(boss.next, ZONE)} Shanghai time (${show(boss.next, 'UTC')} UTC), not Monday 09:00 in Shanghai (${show(expected, 'UTC')} UTC)`;
  if (!boss.pattern)
    throw new Fail(`${when}: an interval counts from when it was registered (and BullMQ fires it once at once). Use a cron pattern, '0 9 * * 1', with tz: 'Asia/Shanghai'.`);
  if (!boss.tz) throw new Fail(`${when}: with no tz the pattern is read in the server's own zone (${Intl.DateTimeFormat().resolvedOptions().timeZone} here). Add tz: 'Asia/Shanghai' to its options.`);
  throw new Fail(`${when}: use pattern '0 9 * * 1' (minute 0, hour 9, any day, any month, Monday) with tz: 'Asia/Shanghai'.`);
});

// The cron box's logic: words, next firings in a zone and in UTC, bad input explained, and
// the daylight-saving days marked. Figures checked against the zone rules, not the parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, offsetChanges, zonedInstant } from '../../site/components/lesson/cron/cron.ts';

const at = (iso: string) => Date.parse(iso);

test("the boss's report: Monday 09:00 in Shanghai is Monday 01:00 UTC, ten weeks of it", () => {
  const r = explain('0 9 * * 1', 'Asia/Shanghai', at('2026-12-04T04:00:00Z'));
  assert.ok(r.ok, !r.ok ? r.error : '');
  assert.equal(r.words, 'at 09:00, on Monday');
  assert.equal(r.firings.length, 10);
  assert.equal(r.firings[0]!.utc, '2026-12-07 01:00:00 UTC');
  assert.match(r.firings[0]!.local, /Mon, 7 Dec 2026, 09:00:00/);
  assert.ok(r.firings.every((f, i) => i === 0 || f.at - r.firings[i - 1]!.at === 7 * 86_400_000), 'a week apart: Shanghai has no daylight saving');
  assert.equal(r.changes.length, 0);
});

test('seconds patterns, as BullMQ reads a sixth field', () => {
  const r = explain('*/5 * * * * *', 'UTC', at('2026-12-04T04:00:01Z'));
  assert.ok(r.ok);
  assert.equal(r.words, 'every 5 seconds');
  assert.deepEqual(r.firings.slice(0, 3).map((f) => f.utc), ['2026-12-04 04:00:05 UTC', '2026-12-04 04:00:10 UTC', '2026-12-04 04:00:15 UTC']);
  const weekdays = explain('0 */15 9-17 * * 1-5', 'UTC', at('2026-12-04T04:00:00Z'));
  assert.ok(weekdays.ok);
  assert.equal(weekdays.words, 'every 15 minutes, during hours 09:00 to 17:00, on Monday to Friday');
});

test('bad input comes back explained, never thrown', () => {
  const cases: [string, string, RegExp][] = [
    ['61 * * * *', 'UTC', /61 is out of range in the minute field \("61"\): it takes 0 to 59/],
    ['0 9 * * 8', 'UTC', /8 is out of range in the day of week field/],
    ['1 2 3 4 5 6 7', 'UTC', /7 fields is too many/],
    ['*/0 * * * *', 'UTC', /step of 0/],
    ['hello', 'UTC', /not a number or a name/],
    ['0 9 31 2 *', 'UTC', /never exists/],
    ['', 'UTC', /Type a pattern/],
    ['0 9 * * 1', 'Mars/Olympus', /"Mars\/Olympus" is not a time zone/],
  ];
  for (const [pattern, tz, reason] of cases) {
    const r = explain(pattern, tz, at('2026-12-04T00:00:00Z'));
    assert.equal(r.ok, false, pattern);
    assert.match((r as { error: string }).error, reason, pattern);
  }
  const short = explain('* * *', 'UTC', at('2026-12-04T00:00:00Z'));
  assert.ok(short.ok && /fills in the missing ones/.test(short.warning ?? ''), 'three fields parse, with a warning');
});

test('Berlin in March: 02:30 does not exist on the change day, and the firing moves to 03:30', () => {
  const r = explain('30 2 * * *', 'Europe/Berlin', zonedInstant('2027-03-25T00:00', 'Europe/Berlin'));
  assert.ok(r.ok);
  assert.equal(r.changes.length, 1);
  assert.equal(r.changes[0]!.kind, 'forward');
  assert.equal(r.changes[0]!.at, at('2027-03-28T01:00:00Z'));
  assert.match(r.changes[0]!.text, /forward 1 hour at 02:00, to 03:00/);
  const moved = r.firings.filter((f) => f.dst);
  assert.equal(moved.length, 1);
  assert.equal(moved[0]!.utc, '2027-03-28 01:30:00 UTC');
  assert.match(moved[0]!.local, /03:30:00/);
  assert.match(moved[0]!.dst!, /Local 02:30:00 does not exist that day: that firing moves to 03:30/);
  // Before the change 02:30 CET is 01:30 UTC; after it, 02:30 CEST is 00:30 UTC.
  assert.equal(r.firings[0]!.utc, '2027-03-25 01:30:00 UTC');
  assert.equal(r.firings.at(-1)!.utc, '2027-04-03 00:30:00 UTC');
});

test('Berlin in October: 02:30 happens twice; a daily pattern fires once, a half-hourly one at both', () => {
  const daily = explain('30 2 * * *', 'Europe/Berlin', zonedInstant('2026-10-22T00:00', 'Europe/Berlin'));
  assert.ok(daily.ok);
  assert.equal(daily.changes[0]!.kind, 'back');
  assert.match(daily.changes[0]!.text, /back 1 hour at 03:00, to 02:00/);
  const marked = daily.firings.filter((f) => f.dst);
  assert.equal(marked.length, 1, 'one day of ten is the change day');
  assert.match(marked[0]!.dst!, /happens twice that day; the parser fires at the first one only/);
  assert.equal(marked[0]!.utc, '2026-10-25 00:30:00 UTC');

  const half = explain('0 */30 * * * *', 'Europe/Berlin', zonedInstant('2026-10-25T01:00', 'Europe/Berlin'));
  assert.ok(half.ok);
  const twice = half.firings.filter((f) => /fires at both/.test(f.dst ?? ''));
  assert.deepEqual(twice.map((f) => f.utc), ['2026-10-25 00:00:00 UTC', '2026-10-25 00:30:00 UTC', '2026-10-25 01:00:00 UTC', '2026-10-25 01:30:00 UTC']);
  assert.equal(half.firings.filter((f) => f.dst).length, 4, 'only the repeated hour is marked');
});

test('half-hourly across the March gap: 02:00 and 02:30 never happen', () => {
  const r = explain('0 */30 * * * *', 'Europe/Berlin', zonedInstant('2027-03-28T01:00', 'Europe/Berlin'));
  assert.ok(r.ok);
  assert.deepEqual(r.firings.slice(0, 3).map((f) => f.utc), ['2027-03-28 00:30:00 UTC', '2027-03-28 01:00:00 UTC', '2027-03-28 01:30:00 UTC']);
  assert.match(r.firings[1]!.dst!, /Local 02:00:00, 02:30:00 do not exist that day: those firings never happen; this is the next one/);
  assert.equal(r.firings.filter((f) => f.dst).length, 1);
});

test('zone helpers: offset changes found to the minute, wall times read in their zone', () => {
  assert.deepEqual(offsetChanges(at('2027-01-01T00:00:00Z'), at('2027-12-31T00:00:00Z'), 'Europe/Berlin').map((c) => new Date(c.at).toISOString()), ['2027-03-28T01:00:00.000Z', '2027-10-31T01:00:00.000Z']);
  assert.equal(zonedInstant('2026-12-07T09:00', 'Asia/Shanghai'), at('2026-12-07T01:00:00Z'));
  assert.equal(zonedInstant('2026-10-25T02:30', 'Europe/Berlin'), at('2026-10-25T00:30:00Z'), 'the first of the two');
  assert.ok(Number.isNaN(zonedInstant('next tuesday', 'UTC')));
});

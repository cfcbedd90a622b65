// The cron box's logic, without the UI: what a pattern means in words, its next firings in a
// zone and in UTC, and the days where a daylight-saving change moves a firing. It parses
// with cron-parser, the same package and version BullMQ's job schedulers use, so the box
// and the scheduler read every pattern the same way.
import { CronExpressionParser, type CronExpression } from 'cron-parser';

export interface Firing {
  /** The instant, ms since 1970 (UTC). */
  at: number;
  /** "Sun 28 Mar 2027, 03:30:00 CEST" in the chosen zone. */
  local: string;
  /** "2027-03-28 01:30:00 UTC". */
  utc: string;
  /** Set when a daylight-saving change falls on this firing's local day and moves or repeats it. */
  dst?: string;
}

export interface DstChange {
  /** The instant the clocks change. */
  at: number;
  kind: 'forward' | 'back';
  /** The zone's offset from UTC just before and after, in ms. */
  before: number;
  after: number;
  /** "Sun 28 Mar 2027: clocks go forward from 02:00 to 03:00" */
  text: string;
}

export type Explained =
  | { ok: true; words: string; normalized: string; fields: number; firings: Firing[]; changes: DstChange[]; warning?: string }
  | { ok: false; error: string };

const FIELD_NAMES = ['second', 'minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Is this an IANA zone the platform knows? */
export function validZone(tz: string): boolean {
  if (!tz.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in ms (Berlin in summer: +2 h). */
export function offsetAt(ms: number, tz: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(ms)
      .map((p) => [p.type, Number(p.value)]),
  );
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

export function formatLocal(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).format(ms);
}
export const formatUtc = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
/** The instant when the zone's wall clock shows this date and time (the earlier one if it shows it twice). */
export function zonedInstant(wall: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(wall.trim());
  if (!m) return NaN;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0));
  // Try the offsets the zone has around that day; a time inside a gap takes the offset before it.
  const offsets = [offsetAt(utc - 86_400_000, tz), offsetAt(utc + 86_400_000, tz)];
  const valid = offsets.map((o) => utc - o).filter((instant) => utc - instant === offsetAt(instant, tz));
  return valid.length ? Math.min(...valid) : utc - offsets[0]!;
}

const day = (ms: number, tz: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(ms);
const hhmm = (ms: number, tz: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
/** A local calendar day as a key: the instant's wall clock read as UTC, cut to the day. */
const dayKey = (ms: number, tz: string) => new Date(ms + offsetAt(ms, tz)).toISOString().slice(0, 10);

/** Turns cron-parser's messages, and what it lets through, into a sentence for the reader. */
function explainError(expr: string, message: string): string {
  const parts = expr.trim().split(/\s+/);
  const names = parts.length === 6 ? FIELD_NAMES : FIELD_NAMES.slice(1);
  const range = /got value (\S+) expected range (\d+)-(\d+)/.exec(message);
  if (range) {
    const at = parts.findIndex((p) => p.split(/[,\-/]/).includes(range[1]!));
    const field = at >= 0 ? `the ${names[at] ?? 'field'} field ("${parts[at]}")` : 'one field';
    return `${range[1]} is out of range in ${field}: it takes ${range[2]} to ${range[3]}.`;
  }
  if (/too many fields/.test(message)) return `${parts.length} fields is too many: write 5 (minute hour day-of-month month day-of-week), or 6 with seconds first.`;
  if (/cannot repeat at every 0/.test(message)) return 'A step of 0 ("*/0") never moves on: use */1 or more.';
  if (/cannot resolve alias "?([^"]*)"?/.test(message)) {
    const alias = /cannot resolve alias "?([^"]*)"?/.exec(message)![1];
    return `"${alias}…" is not a number or a name the parser knows: fields take numbers, ranges (1-5), lists (1,15), steps (*/10), and names like MON or JAN.`;
  }
  if (/explicit day of month/.test(message)) return 'That day of the month never exists in the chosen month (30 or 31 February?), so the pattern would never fire.';
  if (/Invalid characters|got value/.test(message)) return `A field holds something the parser cannot read (${message}).`;
  return `The parser refused it: ${message}.`;
}

/** Words for one field's values. */
function listOf(values: readonly number[], name: (n: number) => string): string {
  const runs: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    runs.push(j - i >= 2 ? `${name(values[i]!)} to ${name(values[j]!)}` : j > i ? `${name(values[i]!)}, ${name(values[j]!)}` : name(values[i]!));
    i = j + 1;
  }
  return runs.length > 1 ? `${runs.slice(0, -1).join(', ')} and ${runs.at(-1)}` : runs[0]!;
}

/** "every 5 seconds" when the values step evenly through the whole range from its start. */
function stepOf(values: readonly number[], min: number, max: number): number | undefined {
  if (values.length < 2 || values[0] !== min) return undefined;
  const step = values[1]! - values[0]!;
  if (values.some((v, i) => v !== min + i * step)) return undefined;
  return values.at(-1)! + step > max ? step : undefined;
}

const two = (n: number) => String(n).padStart(2, '0');

/** The pattern in words, e.g. "every 5 seconds" or "at 09:00, on Monday". */
export function describe(expr: CronExpression, hasSeconds: boolean): string {
  const f = expr.fields;
  const sec = f.second.values as number[], min = f.minute.values as number[], hour = f.hour.values as number[];
  const one = (v: number[]) => v.length === 1;
  let time: string;
  if (one(hour) && one(min) && one(sec)) time = `at ${two(hour[0]!)}:${two(min[0]!)}${sec[0] ? `:${two(sec[0])}` : ''}`;
  else {
    const bits: string[] = [];
    const unit = (values: number[], lo: number, hi: number, word: string, wildcard: boolean) => {
      if (wildcard || values.length === hi - lo + 1) return `every ${word}`;
      const step = stepOf(values, lo, hi);
      if (step) return `every ${step} ${word}s`;
      return `at ${word} ${listOf(values, String)}`;
    };
    if (hasSeconds && !(one(sec) && sec[0] === 0)) bits.push(unit(sec, 0, 59, 'second', f.second.isWildcard));
    else if (one(sec) && sec[0] !== 0) bits.push(`at second ${sec[0]}`);
    if (!(bits.length && f.minute.isWildcard)) bits.push(one(min) ? (one(hour) ? '' : `at minute ${min[0]}`) : unit(min, 0, 59, 'minute', f.minute.isWildcard));
    if (!f.hour.isWildcard) bits.push(one(hour) && one(min) ? `at ${two(hour[0]!)}:${two(min[0]!)}` : stepOf(hour, 0, 23) ? `every ${stepOf(hour, 0, 23)} hours` : `during hour${hour.length > 1 ? 's' : ''} ${listOf(hour, (h) => `${two(h)}:00`)}`);
    else if (!bits.some((b) => b.includes('minute') || b.includes('second'))) bits.push('every hour');
    time = bits.filter(Boolean).join(', ');
  }
  const dom = f.dayOfMonth.values as (number | 'L')[], dow = (f.dayOfWeek.values as (number | 'L')[]).filter((d): d is number => typeof d === 'number');
  const month = f.month.values as number[];
  const days: string[] = [];
  const domWords = !f.dayOfMonth.isWildcard ? `on day ${listOf(dom.filter((d): d is number => typeof d === 'number'), String)}${dom.includes('L') ? ' and the last day' : ''} of the month` : '';
  const uniqueDow = [...new Set(dow.map((d) => d % 7))].sort((a, b) => a - b);
  const dowWords = !f.dayOfWeek.isWildcard ? `on ${listOf(uniqueDow, (d) => DAYS[d]!)}` : '';
  if (domWords && dowWords) days.push(`${domWords} or ${dowWords} (cron fires when either matches)`);
  else if (domWords || dowWords) days.push(domWords || dowWords);
  if (!f.month.isWildcard) days.push(`in ${listOf(month, (m) => MONTHS[m]!)}`);
  return [time, ...days].filter(Boolean).join(', ');
}

/**
 * The instants around which the zone's offset changes, between two instants: found hour by
 * hour, then narrowed to the minute.
 */
export function offsetChanges(from: number, to: number, tz: string): { at: number; before: number; after: number }[] {
  const changes: { at: number; before: number; after: number }[] = [];
  const HOUR = 3_600_000;
  let prev = offsetAt(from, tz);
  for (let t = from + HOUR; t <= to + HOUR; t += HOUR) {
    const now = offsetAt(t, tz);
    if (now === prev) continue;
    let lo = t - HOUR, hi = t;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 2 / 60_000) * 60_000;
      if (offsetAt(mid, tz) === prev) lo = mid;
      else hi = mid;
    }
    changes.push({ at: hi, before: prev, after: now });
    prev = now;
  }
  return changes;
}

/**
 * Explains a pattern for a zone: words, the next `count` firings after `from`, and every
 * daylight-saving change among them, with the firings it moves or repeats marked.
 * Never throws: bad input comes back as { ok: false, error } in plain words.
 */
export function explain(pattern: string, tz: string, from: number, count = 10): Explained {
  const expr = pattern.trim();
  if (!expr) return { ok: false, error: 'Type a pattern: 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first.' };
  if (!validZone(tz)) return { ok: false, error: `"${tz}" is not a time zone this browser knows: use an IANA name such as Europe/Berlin, Asia/Shanghai or UTC.` };
  if (!Number.isFinite(from)) return { ok: false, error: 'The start date is not a valid date.' };
  const fields = expr.split(/\s+/).length;
  let parsed: CronExpression;
  let firings: Firing[];
  try {
    parsed = CronExpressionParser.parse(expr, { tz, currentDate: new Date(from) });
    firings = parsed.take(count).map((d) => {
      const at = d.getTime();
      return { at, local: formatLocal(at, tz), utc: formatUtc(at) };
    });
  } catch (err) {
    return { ok: false, error: explainError(expr, (err as Error).message) };
  }
  if (!firings.length) return { ok: false, error: 'The pattern parses but never fires (a date that does not exist, such as 31 April?).' };
  const hasSeconds = fields === 6;
  const words = describe(parsed, hasSeconds);
  const warning =
    fields < 5
      ? `Only ${fields} field${fields === 1 ? '' : 's'}: the parser (and so BullMQ) fills in the missing ones as "*". Write all five, or six with seconds first, to say what you mean.`
      : undefined;

  // Daylight-saving changes between the first and the last firing (and the day around them).
  const DAY = 86_400_000;
  const changes: DstChange[] = offsetChanges(firings[0]!.at - DAY, firings.at(-1)!.at + DAY, tz).map((c) => {
    const shift = c.after - c.before;
    const kind = shift > 0 ? 'forward' : 'back';
    const minutes = Math.abs(shift) / 60_000;
    const span = minutes === 60 ? '1 hour' : `${minutes} minutes`;
    const wallBefore = new Date(c.at + c.before).toISOString().slice(11, 16);
    const wallAfter = new Date(c.at + c.after).toISOString().slice(11, 16);
    const text =
      kind === 'forward'
        ? `${day(c.at, tz)}: clocks go forward ${span} at ${wallBefore}, to ${wallAfter}. Local times from ${wallBefore} to just before ${wallAfter} do not exist that day.`
        : `${day(c.at, tz)}: clocks go back ${span} at ${wallBefore}, to ${wallAfter}. Local times from ${wallAfter} to just before ${wallBefore} happen twice that day.`;
    return { at: c.at, kind, before: c.before, after: c.after, text };
  });

  // Mark the firings a change touches: on its local day, compare each firing with the pattern
  // read in UTC (no daylight saving), which is what the wall clock would show.
  for (const c of changes) {
    const key = dayKey(c.at, tz);
    const sameDay = firings.filter((f) => dayKey(f.at, tz) === key);
    if (!sameDay.length) continue;
    if (c.kind === 'forward') {
      // Wall-clock firings in the gap [start, end) that day: the parser moves them forward or drops them.
      const gapStart = c.at + offsetAt(c.at - 1000, tz); // the wall time the clocks jump from, as UTC ms
      const gapEnd = c.at + offsetAt(c.at, tz);
      const wall = CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: new Date(gapStart - 1000) });
      const missed: number[] = [];
      for (let next = wall.next().getTime(); next < gapEnd; next = wall.next().getTime()) missed.push(next);
      if (!missed.length) continue;
      const names = missed.slice(0, 3).map((m) => new Date(m).toISOString().slice(11, 19)).join(', ') + (missed.length > 3 ? ', …' : '');
      const first = sameDay.find((f) => f.at >= c.at);
      if (!first) continue;
      // Is the first firing after the jump one the wall clock would have had anyway?
      const wallFirst = first.at + offsetAt(first.at, tz);
      const regular = CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: new Date(wallFirst - 1000) }).next().getTime() === wallFirst;
      const it = missed.length === 1 ? 'that firing' : 'those firings';
      first.dst = regular
        ? `Local ${names} ${missed.length === 1 ? 'does' : 'do'} not exist that day: ${it} never happen${missed.length === 1 ? 's' : ''}; this is the next one.`
        : `Local ${names} ${missed.length === 1 ? 'does' : 'do'} not exist that day: ${it} move${missed.length === 1 ? 's' : ''} to ${hhmm(first.at, tz)}.`;
    } else {
      // Wall-clock times in the repeated span: does the pattern fire in both copies of it?
      const repeatedStart = c.at + c.after; // wall time right after the change, as UTC ms
      const repeatedEnd = c.at + c.before;
      for (const f of sameDay) {
        const wallF = f.at + offsetAt(f.at, tz);
        if (wallF < repeatedStart || wallF >= repeatedEnd) continue;
        const twin = sameDay.find((g) => g !== f && g.at + offsetAt(g.at, tz) === wallF);
        f.dst = twin
          ? `${hhmm(f.at, tz)} happens twice that day, and this pattern fires at both (${f.at < twin.at ? 'this is the first' : 'this is the second'}).`
          : `${hhmm(f.at, tz)} happens twice that day; the parser fires at the ${f.at < c.at ? 'first' : 'second'} one only.`;
      }
    }
  }
  return { ok: true, words, normalized: parsed.stringify(hasSeconds), fields, firings, changes, warning };
}

/** Patterns to try, for the box's menu. */
export const EXAMPLES: { pattern: string; tz: string; from?: string; label: string }[] = [
  { pattern: '0 9 * * 1', tz: 'Asia/Shanghai', label: "The boss's report: Monday 09:00 in Shanghai" },
  { pattern: '*/5 * * * * *', tz: 'UTC', label: 'The sandbox digest: every 5 seconds' },
  { pattern: '30 2 * * *', tz: 'Europe/Berlin', from: '2027-03-25T00:00', label: 'Every day at 02:30 in Berlin, across the March change' },
  { pattern: '30 2 * * *', tz: 'Europe/Berlin', from: '2026-10-22T00:00', label: 'Every day at 02:30 in Berlin, across the October change' },
  { pattern: '0 */30 * * * *', tz: 'Europe/Berlin', from: '2026-10-25T01:00', label: 'Every 30 minutes in Berlin, through the repeated hour' },
  { pattern: '0 0 1 * *', tz: 'America/New_York', label: 'Midnight on the first of each month, New York' },
];

// How an attendee's events move their row in the grid, and when a row counts as stuck.
// Pure functions: the hub applies them, the console and the tests reason with the same ones.
import { LIMITS, MAX_RESULTS, stepKey, type Attendee, type AttendeeEvent, type StepProgress } from './schema.ts';

/** Failed Checks on one step (since it last passed) that make an attendee stuck. */
export const STUCK_FAILS = 3;
/** Time on one step without a passed Check that makes an attendee stuck. */
export const STUCK_MS = 10 * 60_000;

/** The attendee after one event (a new object; the argument is not changed). */
export function applyEvent(a: Attendee, e: AttendeeEvent, now: number): Attendee {
  const next: Attendee = { ...a, lastSeen: now, steps: { ...a.steps } };
  if (e.type === 'ping' || e.type === 'files') return next;
  if (e.type === 'result') {
    const key = `${e.lesson}/${e.experiment}`;
    const results = { ...a.results };
    // Full: the oldest number makes room, so what the attendee just measured always shows.
    if (!(key in results) && Object.keys(results).length >= MAX_RESULTS) {
      const oldest = Object.entries(results).reduce((o, r) => (r[1].at < o[1].at ? r : o));
      delete results[oldest[0]];
    }
    next.results = { ...results, [key]: { label: e.label, value: e.value, unit: e.unit, at: now } };
    return next;
  }
  if (e.type === 'note') {
    next.note = e.kind ? { kind: e.kind, text: e.text ?? '', at: now } : null;
    return next;
  }
  if (next.lesson !== e.lesson || next.step !== e.step) {
    next.lesson = e.lesson;
    next.step = e.step;
    next.stepSince = now;
  }
  if (e.type === 'step' && e.runtime) next.runtime = e.runtime;
  const key = stepKey(e.lesson, e.step);
  const old: StepProgress | undefined = a.steps[key];
  const base: StepProgress = old ?? { state: 'editing', fails: 0, lastReason: '', at: now };
  switch (e.type) {
    case 'step':
      next.steps[key] = { ...base, at: old ? old.at : now };
      break;
    case 'edit':
      // A passed step stays passed while the reader tidies it up.
      next.steps[key] = { ...base, state: base.state === 'passed' ? 'passed' : base.state === 'failed' ? 'failed' : 'editing', at: now };
      break;
    case 'run':
      if (e.state === 'starting' || e.state === 'running') next.steps[key] = { ...base, state: base.state === 'passed' ? 'passed' : base.state === 'failed' ? 'failed' : 'running', at: now };
      else next.steps[key] = { ...base, at: now };
      break;
    case 'check': {
      const reason = e.reason.slice(0, LIMITS.reason);
      next.steps[key] = e.ok ? { state: 'passed', fails: 0, lastReason: reason, at: now } : { state: 'failed', fails: base.fails + 1, lastReason: reason, at: now };
      break;
    }
  }
  return next;
}

export interface Stuck {
  stuck: boolean;
  why: string;
}

/** Several failed Checks on the current step, or long on it with no pass: the quiet ones surface. */
export function stuck(a: Pick<Attendee, 'lesson' | 'step' | 'stepSince' | 'steps'>, now: number): Stuck {
  if (!a.lesson || !a.step) return { stuck: false, why: '' };
  const p = a.steps[stepKey(a.lesson, a.step)];
  if (p?.state === 'passed') return { stuck: false, why: '' };
  if (p && p.fails >= STUCK_FAILS) return { stuck: true, why: `${p.fails} failed Checks on this step` };
  const on = now - (a.stepSince ?? now);
  if (on >= STUCK_MS) return { stuck: true, why: `${Math.floor(on / 60_000)} min on this step without passing` };
  return { stuck: false, why: '' };
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

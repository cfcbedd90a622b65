// The progress export: one row per attendee, one column per step of the workshop's lessons.
import { duration, stuck } from './progress.ts';
import { stepKey, type Attendee, type Workshop } from './schema.ts';
import type { Course } from './hub.ts';

/** A CSV cell; text that a spreadsheet would run as a formula is kept as text. */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function progressCsv(w: Workshop, attendees: Attendee[], course: Course | null, now: number): string {
  const steps: string[] = [];
  for (const lesson of w.lessons) {
    const l = course?.lessons.find((x) => x.id === lesson);
    if (l) for (const s of l.steps) steps.push(stepKey(lesson, s.id));
    else for (const key of new Set(attendees.flatMap((a) => Object.keys(a.steps)))) if (key.startsWith(`${lesson}/`)) steps.push(key);
  }
  const head = ['name', 'joined', 'lesson', 'step', 'time on step', 'stuck', 'note', 'note text', ...steps];
  const rows = attendees.map((a) => {
    const s = stuck(a, now);
    return [
      a.name,
      new Date(a.joinedAt).toISOString(),
      a.lesson ?? '',
      a.step ?? '',
      a.stepSince ? duration(now - a.stepSince) : '',
      s.stuck ? s.why : '',
      a.note?.kind ?? '',
      a.note?.text ?? '',
      ...steps.map((k) => {
        const p = a.steps[k];
        if (!p) return 'not started';
        return p.state === 'failed' ? `failed ×${p.fails}` : p.state;
      }),
    ];
  });
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

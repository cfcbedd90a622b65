// How events move a row of the console's grid, and when an attendee counts as stuck.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEvent, STUCK_FAILS, STUCK_MS, stuck } from '../../workshop/progress.ts';
import { MAX_RESULTS, type Attendee, type AttendeeEvent } from '../../workshop/schema.ts';
import { csvCell } from '../../workshop/csv.ts';

const fresh: Attendee = { id: 'a', workshop: 'w', name: 'Ada', secretHash: 'h', joinedAt: 0, lastSeen: 0, lesson: null, step: null, stepSince: null, steps: {}, note: null, runtime: null, results: {} };
const where = { lesson: 'async-tasks', step: 'make-it-async' } as const;
const play = (events: [AttendeeEvent, number][], start = fresh) => events.reduce((a, [e, t]) => applyEvent(a, e, t), start);

test('opening a step starts the clock on it and marks it editing; a run marks it running', () => {
  const a = play([
    [{ type: 'step', ...where }, 1000],
    [{ type: 'run', ...where, state: 'starting' }, 2000],
  ]);
  assert.equal(a.stepSince, 1000);
  assert.equal(a.steps['async-tasks/make-it-async']?.state, 'running');
  assert.equal(fresh.steps['async-tasks/make-it-async'], undefined, 'the old row is not changed');
});

test('failed Checks count up with the last reason; a pass clears the count and stays through later edits and runs', () => {
  let a = play([
    [{ type: 'check', ...where, ok: false, reason: 'first' }, 1],
    [{ type: 'check', ...where, ok: false, reason: 'second' }, 2],
  ]);
  assert.deepEqual(a.steps['async-tasks/make-it-async'], { state: 'failed', fails: 2, lastReason: 'second', at: 2 });
  a = play([[{ type: 'edit', ...where }, 3]], a);
  assert.equal(a.steps['async-tasks/make-it-async']?.state, 'failed', 'an edit after a failure still shows the failure');
  a = play([
    [{ type: 'check', ...where, ok: true, reason: 'passed' }, 4],
    [{ type: 'edit', ...where }, 5],
    [{ type: 'run', ...where, state: 'running' }, 6],
  ], a);
  assert.equal(a.steps['async-tasks/make-it-async']?.state, 'passed');
  assert.equal(a.steps['async-tasks/make-it-async']?.fails, 0);
});

test('moving to another step restarts the clock; coming back to the same step does not', () => {
  const a = play([
    [{ type: 'step', ...where }, 1000],
    [{ type: 'step', ...where }, 5000],
  ]);
  assert.equal(a.stepSince, 1000);
  const b = play([[{ type: 'step', lesson: 'async-tasks', step: 'retries-with-backoff' }, 9000]], a);
  assert.equal(b.stepSince, 9000);
});

test(`stuck: ${STUCK_FAILS} failed Checks on the current step, or ${STUCK_MS / 60_000} minutes on it without passing`, () => {
  const on = play([[{ type: 'step', ...where }, 0]]);
  assert.equal(stuck(on, STUCK_MS - 1).stuck, false);
  assert.deepEqual(stuck(on, STUCK_MS), { stuck: true, why: '10 min on this step without passing' });
  let failing = on;
  for (let i = 1; i < STUCK_FAILS; i++) failing = play([[{ type: 'check', ...where, ok: false, reason: 'x' }, i]], failing);
  assert.equal(stuck(failing, 10).stuck, false, `${STUCK_FAILS - 1} failures are not yet stuck`);
  failing = play([[{ type: 'check', ...where, ok: false, reason: 'x' }, 10]], failing);
  assert.deepEqual(stuck(failing, 11), { stuck: true, why: `${STUCK_FAILS} failed Checks on this step` });
  const passed = play([[{ type: 'check', ...where, ok: true, reason: 'ok' }, 12]], failing);
  assert.equal(stuck(passed, STUCK_MS * 3).stuck, false, 'a passed step is never stuck');
  assert.equal(stuck(fresh, STUCK_MS * 3).stuck, false, 'no step yet, not stuck');
});

test('notes: done or help with text, taken down with null', () => {
  const a = play([[{ type: 'note', kind: 'help', text: 'worker silent' }, 7]]);
  assert.deepEqual(a.note, { kind: 'help', text: 'worker silent', at: 7 });
  assert.equal(play([[{ type: 'note', kind: null }, 8]], a).note, null);
});

test('CSV cells: quotes doubled, and text a spreadsheet would run as a formula kept as text', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a, "b"'), '"a, ""b"""');
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
});

test('an experiment keeps its latest number; past the cap, the oldest number makes room for the newest', () => {
  const result = (experiment: string, value: number): AttendeeEvent => ({ type: 'result', lesson: 'thread-pools', experiment, label: experiment, value, unit: 'tasks/s' });
  let a = play([
    [result('sizing-wait9-threads2', 100), 1],
    [result('sizing-wait9-threads2', 120), 2],
  ]);
  assert.deepEqual(a.results, { 'thread-pools/sizing-wait9-threads2': { label: 'sizing-wait9-threads2', value: 120, unit: 'tasks/s', at: 2 } });
  a = play(Array.from({ length: MAX_RESULTS + 1 }, (_, i): [AttendeeEvent, number] => [result(`sweep-${i}`, i), 10 + i]), a);
  assert.equal(Object.keys(a.results).length, MAX_RESULTS);
  assert.equal(a.results[`thread-pools/sweep-${MAX_RESULTS}`]?.value, MAX_RESULTS, 'the newest is kept');
  assert.equal(a.results['thread-pools/sizing-wait9-threads2'], undefined, 'the oldest went');
  assert.equal(a.results['thread-pools/sweep-1']?.value, 1);
  assert.equal(a.results['thread-pools/sweep-0'], undefined);
});

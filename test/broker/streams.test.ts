// Differential tests: streams, including approximate trimming node boundaries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { both, runCases, show, useDifferential } from './harness.ts';

const env = useDifferential({ before, after });

test('XADD, XRANGE, XDEL, XTRIM, XREAD', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['xadd', 'st', '1-1', 'a', '1'],
    ['xadd', 'st', '1-*', 'b', '2'],
    ['xadd', 'st', '1', 'c', '3'],
    ['xadd', 'st', '2-0', 'a', '1', 'b', '2'],
    ['xadd', 'st', '1-5', 'x', 'y'],
    ['xadd', 'st', '0-0', 'x', 'y'],
    ['xadd', 'st', '0-*', 'x', 'y'],
    ['xadd', 'st', 'nomkstream', '3-0', 'x', 'y'],
    ['xadd', 'nost', 'nomkstream', '3-0', 'x', 'y'],
    ['xadd', 'st', 'abc', 'a', 'b'],
    ['xadd', 'st', '*', 'a'],
    ['xadd', 'st', 'maxlen', 'abc', '*', 'a', 'b'],
    ['xlen', 'st'],
    ['xlen', 'nost'],
    ['xrange', 'st', '-', '+'],
    ['xrange', 'st', '(1-1', '+', 'count', '2'],
    ['xrange', 'st', '-', '+', 'count', '0'],
    ['xrange', 'st', '-', '+', 'count', '-5'],
    ['xrange', 'st', '-', '+', 'foo'],
    ['xrevrange', 'st', '+', '-', 'count', '2'],
    ['xrange', 'st', '1', '1'],
    ['xrange', 'st', '(18446744073709551615-18446744073709551615', '+'],
    ['xrange', 'st', '-', '(0-0'],
    ['xrange', 'st', 'abc', '+'],
    ['xrange', 'nost', '-', '+'],
    ['xdel', 'st', '1-2', '9-9'],
    ['xdel', 'st', 'abc'],
    ['xrange', 'st', '-', '+'],
    ['xread', 'count', '2', 'streams', 'st', '0'],
    ['xread', 'streams', 'st', 'nost', '1-1', '0'],
    ['xread', 'streams', 'st', '$'],
    ['xread', 'streams', 'st'],
    ['xread', 'count', '1', 'streams', 'st', 'abc'],
    ['xread', 'streams', 'st', '>'],
    ['xread', 'foo', 'streams', 'st', '0'],
    ['xread', 'block', '10', 'streams', 'st', '$'],
    ['xtrim', 'st', 'maxlen', '1'],
    ['xrange', 'st', '-', '+'],
    ['xtrim', 'st', 'maxlen', '~', '0'],
    ['xtrim', 'st', 'minid', '3'],
    ['xlen', 'st'],
    ['xtrim', 'st', 'limit', '5'],
    ['xtrim', 'st', 'maxlen', '1', 'limit', '5'],
    ['xtrim', 'nost', 'maxlen', '1'],
    ['xtrim', 'st', 'foo'],
    ['xadd', 'st', 'maxlen', '2', '5-0', 'a', '1'],
    ['xadd', 'st', 'minid', '5', '6-0', 'a', '1'],
    ['xadd', 'st', 'maxlen', '-1', '7-0', 'a', '1'],
    ['xadd', 'st', 'limit', '1', '7-0', 'a', '1'],
    ['xadd', 'st', 'maxlen', '1', 'minid', '1', '7-0', 'a', '1'],
    ['xadd', 'st', '5-0', 'a', '1'],
    ['xrange', 'st', '-', '+'],
    ['xadd', 'st', '18446744073709551615-18446744073709551615', 'a', '1'],
    ['xadd', 'st', '*', 'a', '1'],
    ['xadd', 'st', '18446744073709551615-*', 'a', '1'],
    ['set', 'str', 'x'],
    ['xadd', 'str', '*', 'a', '1'],
    ['xrange', 'str', '-', '+'],
    ['xlen', 'str'],
    ['xread', 'streams', 'str', '0'],
    ['xsetid', 'nost', '1-1'],
    ['xadd', 'st2', '10-1', 'f', 'v'],
    ['xsetid', 'st2', '5-0'],
    ['xsetid', 'st2', '20-0'],
    ['xadd', 'st2', '15-0', 'f', 'v'],
  ]);
});

test('approximate MAXLEN trims whole nodes like Redis (node size model)', async () => {
  const p = await env.fresh();
  // Entries that look like BullMQ events: small, mixed fields, some integers.
  for (let i = 1; i <= 450; i++) {
    const fields = i % 3 === 0 ? ['event', 'completed', 'jobId', String(i), 'returnvalue', '{"ok":true}', 'prev', 'active'] : ['event', 'added', 'jobId', String(i), 'name', 'job-' + 'x'.repeat(i % 50)];
    const r = await both(p, ['xadd', 'ev', 'maxlen', '~', '120', `${i}-0`, ...fields]);
    assert.equal(show(r.broker), show(r.redis));
    if (i % 25 === 0) await runCases(p, [['xlen', 'ev'], ['xrange', 'ev', '-', '+', 'count', '1']]);
  }
  await runCases(p, [['xlen', 'ev'], ['xtrim', 'ev', 'maxlen', '~', '50'], ['xlen', 'ev'], ['xtrim', 'ev', 'maxlen', '=', '50'], ['xlen', 'ev'], ['xrange', 'ev', '-', '+', 'count', '3']]);
});

test('XREAD BLOCK is woken by XADD', async () => {
  const a = await env.fresh();
  const b = await env.get().pair();
  await both(b, ['xadd', 's', '1-0', 'f', 'v']);
  const pa = both(a, ['xread', 'block', '0', 'count', '5', 'streams', 's', 'other', '$', '0']);
  await new Promise((r) => setTimeout(r, 50));
  await both(b, ['xadd', 's', '2-0', 'g', 'w']);
  const ra = await pa;
  assert.equal(show(ra.broker), show(ra.redis));
});

// Differential tests: MULTI/EXEC/DISCARD/WATCH/UNWATCH.
import { test, before, after } from 'node:test';
import { both, runCases, useDifferential } from './harness.ts';

const env = useDifferential({ before, after });

test('MULTI/EXEC basics and errors', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['exec'],
    ['discard'],
    ['multi'],
    ['multi'],
    ['set', 'a', '1'],
    ['incr', 'a'],
    ['lpush', 'a', 'x'],
    ['get', 'a'],
    ['exec'],
    ['multi'],
    ['set', 'a', '2'],
    ['discard'],
    ['get', 'a'],
    ['multi'],
    ['foo'],
    ['set', 'a', '3'],
    ['exec'],
    ['get', 'a'],
    ['multi'],
    ['get'],
    ['exec'],
    ['multi'],
    ['watch', 'x'],
    ['exec'],
    ['multi'],
    ['exec'],
    ['multi'],
    ['subscribe', 'x'],
    ['discard'],
    ['multi'],
    ['select', '2'],
    ['set', 'in2', 'v'],
    ['exec'],
    ['get', 'in2'],
    ['select', '0'],
    ['multi'],
    ['unwatch'],
    ['ping'],
    ['echo', 'x'],
    ['eval', "return redis.call('incr', 'a')", '0'],
    ['exec'],
  ]);
});

test('WATCH aborts EXEC when another client touches the key', async () => {
  const p = await env.fresh();
  const q = await env.get().pair();
  await runCases(p, [['set', 'k', '1'], ['watch', 'k'], ['multi'], ['incr', 'k']]);
  await runCases(q, [['set', 'k', '10']]);
  await runCases(p, [['exec'], ['get', 'k']]);
  // Untouched: EXEC runs. UNWATCH forgets.
  await runCases(p, [['watch', 'k'], ['multi'], ['incr', 'k'], ['exec']]);
  await runCases(p, [['watch', 'k'], ['unwatch']]);
  await runCases(q, [['set', 'k', '0']]);
  await runCases(p, [['multi'], ['incr', 'k'], ['exec']]);
  // Deleting, expiring, FLUSHDB and writes inside our own transaction.
  await runCases(p, [['watch', 'k'], ['multi'], ['incr', 'k']]);
  await runCases(q, [['del', 'k']]);
  await runCases(p, [['exec']]);
  await runCases(p, [['set', 'k', '1'], ['watch', 'k'], ['multi'], ['incr', 'k']]);
  await runCases(q, [['flushdb']]);
  await runCases(p, [['exec']]);
  await runCases(p, [['set', 'k', '1'], ['watch', 'k', 'nokey'], ['multi'], ['incr', 'k']]);
  await runCases(q, [['set', 'nokey', 'now exists']]);
  await runCases(p, [['exec']]);
  await runCases(p, [['watch', 'k'], ['set', 'k', '5'], ['multi'], ['incr', 'k'], ['exec']]);
  await runCases(p, [['watch', 'k'], ['get', 'k'], ['multi'], ['incr', 'k'], ['exec']]);
  await runCases(p, [['set', 'e', '1', 'px', '100'], ['watch', 'e'], ['multi'], ['get', 'e']]);
  await new Promise((r) => setTimeout(r, 150));
  await runCases(p, [['exec']]);
  await both(p, ['select', '3']);
  await runCases(p, [['watch', 'k'], ['multi'], ['incr', 'k']]);
  await runCases(q, [['set', 'k', 'other db']]);
  await runCases(p, [['exec']]);
});

test('OOM rejects queued writes and aborts EXEC', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['config', 'set', 'maxmemory', '1'],
    ['set', 'a', '1'],
    ['get', 'a'],
    ['del', 'a'],
    ['multi'],
    ['get', 'a'],
    ['exec'],
    ['multi'],
    ['set', 'a', '1'],
    ['exec'],
    ['eval', "return redis.call('set', 'a', '1')", '0'],
    ['eval', "return redis.call('get', 'a')", '0'],
    ['eval', "redis.call('del', 'nothing') return redis.call('set', 'a', '1')", '0'],
    ['eval', '#!lua flags=allow-oom\nreturn redis.call("set", "a", "1")', '0'],
    ['eval', '#!lua\nreturn 1', '0'],
    ['eval', '#!lua flags=no-writes\nreturn 1', '0'],
    ['config', 'set', 'maxmemory', '0'],
    ['set', 'a', '1'],
  ]);
});

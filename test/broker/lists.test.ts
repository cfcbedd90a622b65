// Differential tests: list commands, including blocking ones across clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { both, runCases, show, useDifferential, type Pair } from './harness.ts';

const env = useDifferential({ before, after });

test('list commands', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['rpush', 'l', 'a', 'b', 'c', 'd', 'e', 'c'],
    ['lrange', 'l', '0', '-1'],
    ['lrange', 'l', '-100', '100'],
    ['lrange', 'l', '3', '1'],
    ['lrange', 'l', 'a', 'b'],
    ['lrange', 'nokey', '0', '-1'],
    ['lindex', 'l', '-1'],
    ['lindex', 'l', '10'],
    ['lindex', 'l', 'x'],
    ['lpos', 'l', 'c'],
    ['lpos', 'l', 'c', 'rank', '-1'],
    ['lpos', 'l', 'c', 'count', '0'],
    ['lpos', 'l', 'c', 'count', '1', 'rank', '2'],
    ['lpos', 'l', 'c', 'maxlen', '3'],
    ['lpos', 'l', 'z'],
    ['lpos', 'l', 'z', 'count', '2'],
    ['lpos', 'nol', 'z'],
    ['lpos', 'nol', 'z', 'count', '1'],
    ['lpos', 'l', 'a', 'count', 'abc'],
    ['lpos', 'l', 'a', 'rank', '0'],
    ['lpos', 'l', 'a', 'rank', 'abc'],
    ['lpos', 'l', 'a', 'maxlen', '-1'],
    ['lpos', 'l', 'a', 'foo'],
    ['lrem', 'l', '1', 'c'],
    ['lrem', 'l', '-1', 'z'],
    ['lrem', 'l', 'x', 'z'],
    ['linsert', 'l', 'before', 'd', 'x'],
    ['linsert', 'l', 'after', 'zz', 'x'],
    ['linsert', 'l', 'middle', 'a', 'x'],
    ['linsert', 'nokey', 'after', 'a', 'x'],
    ['lset', 'l', '-1', 'last'],
    ['lset', 'nol', '0', 'x'],
    ['lset', 'l', 'abc', 'x'],
    ['lset', 'l', '10', 'x'],
    ['lrange', 'l', '0', '-1'],
    ['ltrim', 'l', '1', '-2'],
    ['lrange', 'l', '0', '-1'],
    ['ltrim', 'nokey', '0', '1'],
    ['lpop', 'l', 'abc'],
    ['lpop', 'l', '-1'],
    ['lpop', 'l', '0'],
    ['lpop', 'nol', '0'],
    ['lpop', 'nol', '2'],
    ['lpop', 'nol'],
    ['lpop', 'l', '1', '2'],
    ['lpop', 'l', '2'],
    ['rpop', 'l', '10'],
    ['exists', 'l'],
    ['rpush', 'src', '1', '2', '3'],
    ['lmove', 'src', 'dst', 'left', 'right'],
    ['rpoplpush', 'src', 'dst'],
    ['lmove', 'src', 'src', 'left', 'right'],
    ['lrange', 'src', '0', '-1'],
    ['lrange', 'dst', '0', '-1'],
    ['lmove', 'src', 'dst', 'up', 'down'],
    ['set', 'str', 'x'],
    ['lmove', 'src', 'str', 'left', 'left'],
    ['lmove', 'nokey', 'str', 'left', 'left'],
    ['lpush', 'str', 'x'],
    ['llen', 'str'],
    ['lpushx', 'nol', 'x'],
    ['rpushx', 'dst', 'y', 'z'],
    ['llen', 'dst'],
    ['lmpop', '2', 'nol', 'dst', 'right', 'count', '2'],
    ['lmpop', '1', 'nol', 'left'],
    ['lmpop', '0', 'a', 'left'],
    ['lmpop', '2', 'a', 'left'],
    ['lmpop', '1', 'a', 'left', 'count', '0'],
    ['lmpop', '1', 'str', 'left'],
    ['blpop', 'nol', 'dst', '0'],
    ['rpush', 'dst', 'a', 'b'],
    ['brpop', 'dst', '1'],
    ['blmove', 'dst', 'x', 'left', 'left', '0'],
    ['brpoplpush', 'x', 'dst', '0'],
    ['blpop', 'l', 'abc'],
    ['blpop', 'l', '-1'],
    ['blpop', 'str', '0'],
    ['blmpop', '0', '1', 'dst', 'left'],
  ]);
});

async function blockedPair(): Promise<[Pair, Pair]> {
  const a = await env.fresh();
  const b = await env.get().pair();
  return [a, b];
}

test('BLPOP wakes up on push, first blocked first served', async () => {
  const [a, b] = await blockedPair();
  const c = await env.get().pair();
  const pa = both(a, ['blpop', 'q1', 'q2', '0']);
  await new Promise((r) => setTimeout(r, 50));
  const pc = both(c, ['brpop', 'q2', '0']);
  await new Promise((r) => setTimeout(r, 50));
  const push = await both(b, ['rpush', 'q2', 'x', 'y']);
  assert.equal(show(push.broker), show(push.redis));
  const ra = await pa;
  const rc = await pc;
  assert.equal(show(ra.broker), show(ra.redis));
  assert.equal(show(rc.broker), show(rc.redis));
  await runCases(b, [['exists', 'q2']]);
});

test('blocking commands time out with the right null', async () => {
  const [a] = await blockedPair();
  await runCases(a, [['blpop', 'nol', '0.05'], ['brpoplpush', 'nol', 'dst', '0.05'], ['blmove', 'nol', 'd', 'left', 'right', '0.05'], ['bzpopmin', 'nz', '0.05'], ['blmpop', '0.05', '1', 'nol', 'left'], ['xread', 'block', '50', 'streams', 'nos', '$']]);
});

test('BLMOVE served by a push, and inside MULTI it does not block', async () => {
  const [a, b] = await blockedPair();
  const pa = both(a, ['blmove', 'src', 'dst', 'right', 'left', '5']);
  await new Promise((r) => setTimeout(r, 50));
  await both(b, ['lpush', 'src', 'v1', 'v2']);
  const ra = await pa;
  assert.equal(show(ra.broker), show(ra.redis));
  await runCases(b, [['lrange', 'dst', '0', '-1'], ['lrange', 'src', '0', '-1'], ['multi'], ['blpop', 'nol', '0'], ['brpoplpush', 'nol', 'x', '0'], ['exec']]);
});

test('a key pushed and popped in one transaction does not wake blocked clients', async () => {
  const [a, b] = await blockedPair();
  const pa = both(a, ['blpop', 'k', '0.3']);
  await new Promise((r) => setTimeout(r, 50));
  await runCases(b, [['multi'], ['lpush', 'k', 'v'], ['lpop', 'k'], ['exec']]);
  const ra = await pa;
  assert.equal(show(ra.broker), show(ra.redis));
});

test('CLIENT UNBLOCK', async () => {
  const [a, b] = await blockedPair();
  const ids = await both(a, ['client', 'id']);
  const pa = both(a, ['blpop', 'k', '0']);
  await new Promise((r) => setTimeout(r, 50));
  const idR = ids.redis.toString().slice(1, -2);
  const idB = ids.broker.toString().slice(1, -2);
  const [ur, ub] = await Promise.all([b.redis.send(['client', 'unblock', idR, 'error']), b.broker.send(['client', 'unblock', idB, 'error'])]);
  assert.equal(show(ub), show(ur));
  const ra = await pa;
  assert.equal(show(ra.broker), show(ra.redis));
});

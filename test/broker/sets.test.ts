// Differential tests: set commands (hashtable-encoded sets compared unordered).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { both, decode, runCases, sorted, useDifferential } from './harness.ts';

const env = useDifferential({ before, after });

test('set commands', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['sadd', 's', '3', '1', '2', '10', '-5'],
    ['smembers', 's'],
    ['sadd', 's', '1'],
    ['sismember', 's', '1'],
    ['sismember', 's', 'x'],
    ['smismember', 's', '1', '9'],
    ['scard', 's'],
    ['scard', 'nokey'],
    ['sadd', 's2', '2', '3', '4'],
    ['sinter', 's', 's2'],
    ['sunion', 's', 's2'],
    ['sdiff', 's', 's2'],
    ['sdiff', 's2', 's', 'nokey'],
    ['sinterstore', 'd', 's', 's2'],
    ['smembers', 'd'],
    ['sinterstore', 'd', 's', 'nokey'],
    ['exists', 'd'],
    ['sunionstore', 'd', 's', 's2'],
    ['smembers', 'd'],
    ['sdiffstore', 'd', 's', 's2'],
    ['smembers', 'd'],
    ['sintercard', '2', 's', 's2'],
    ['sintercard', '2', 's', 's2', 'limit', '1'],
    ['sintercard', '5', 'a', 'b'],
    ['sintercard', '0', 'a'],
    ['sintercard', '1', 'a', 'limit', '-1'],
    ['smove', 's', 's2', '1'],
    ['smove', 's', 's2', '99'],
    ['smove', 'nokey', 's2', '1'],
    ['smove', 's', 's', '2'],
    ['smembers', 's2'],
    ['sscan', 's2', '0'],
    ['sscan', 's2', '0', 'match', '1*'],
    ['spop', 'nokey'],
    ['spop', 'nokey', '3'],
    ['spop', 's', '-1'],
    ['spop', 's', '0'],
    ['srandmember', 'nokey'],
    ['srandmember', 'nokey', '5'],
    ['srandmember', 's', 'abc'],
    ['srandmember', 's', '0'],
    { cmd: ['srandmember', 's', '100'], norm: sorted },
    { cmd: ['spop', 's2', '100'], norm: sorted },
    ['exists', 's2'],
    ['set', 'str', 'x'],
    ['sadd', 'str', 'a'],
    ['sinter', 's', 'str'],
    ['sunion', 'nokey', 'str'],
    ['smove', 's', 'str', '2'],
    ['srem', 's', '2', '3', 'nope'],
    ['srem', 'nokey', 'a'],
  ]);
});

test('non-integer sets compare unordered', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['sadd', 'a', 'x', 'y', 'z', '1'],
    ['sadd', 'b', 'y', 'z', 'w'],
    { cmd: ['smembers', 'a'], norm: sorted },
    { cmd: ['sinter', 'a', 'b'], norm: sorted },
    { cmd: ['sunion', 'a', 'b'], norm: sorted },
    { cmd: ['sdiff', 'a', 'b'], norm: sorted },
    ['sunionstore', 'c', 'a', 'b'],
    { cmd: ['smembers', 'c'], norm: sorted },
  ]);
  const r = await both(p, ['spop', 'a']);
  assert.ok(['x', 'y', 'z', '1'].includes(decode(r.broker)[0] as string));
});

// Differential tests: hash commands.
import { test, before, after } from 'node:test';
import { runCases, sortedPairs, sorted, useDifferential } from './harness.ts';

const env = useDifferential({ before, after });

test('hash commands', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['hset', 'h', 'f1', 'v1', 'f2', 'v2'],
    ['hset', 'h', 'f1', 'new', 'f3', 'v3'],
    ['hset', 'h', 'a'],
    ['hset', 'h', 'a', '1', 'b'],
    ['hgetall', 'h'],
    ['hget', 'h', 'f1'],
    ['hget', 'h', 'nof'],
    ['hget', 'nokey', 'f'],
    ['hmget', 'h', 'f1', 'nof', 'f3'],
    ['hmget', 'nokey', 'a', 'b'],
    ['hdel', 'h', 'f2', 'nof'],
    ['hlen', 'h'],
    ['hlen', 'nokey'],
    ['hexists', 'h', 'f1'],
    ['hexists', 'h', 'zz'],
    ['hkeys', 'h'],
    ['hvals', 'h'],
    ['hincrby', 'h', 'n', '5'],
    ['hincrby', 'h', 'n', '-10'],
    ['hincrby', 'h', 'n', 'x'],
    ['hincrby', 'h', 'f1', '1'],
    ['hset', 'h', 'big', '9223372036854775807'],
    ['hincrby', 'h', 'big', '1'],
    ['hincrbyfloat', 'h', 'fl', '1.1'],
    ['hincrbyfloat', 'h', 'fl', '2.2'],
    ['hincrbyfloat', 'h', 'f1', '1'],
    ['hincrbyfloat', 'h', 'fl', 'inf'],
    ['hincrbyfloat', 'h', 'fl', 'abc'],
    ['hincrbyfloat', 'h', 'n', '0.5'],
    ['hsetnx', 'h', 'f1', 'x'],
    ['hsetnx', 'h', 'f9', 'x'],
    ['hstrlen', 'h', 'f1'],
    ['hstrlen', 'h', 'nof'],
    ['hmset', 'h', 'a', 'b'],
    ['hmset', 'h', 'a'],
    ['hgetall', 'h'],
    ['hscan', 'h', '0'],
    ['hscan', 'h', '0', 'match', 'f*'],
    ['hscan', 'h', '0', 'count', '1'],
    ['hscan', 'nokey', 'x'],
    ['hscan', 'h', 'x'],
    ['hscan', 'h', '0', 'count', '0'],
    ['hrandfield', 'nokey'],
    ['hrandfield', 'nokey', '3'],
    ['hrandfield', 'h', '0'],
    ['hrandfield', 'h', 'x'],
    ['hrandfield', 'h', '1', 'foo'],
    { cmd: ['hrandfield', 'h', '100'], norm: sorted },
    { cmd: ['hrandfield', 'h', '100', 'withvalues'], norm: sortedPairs },
    ['set', 'str', 'x'],
    ['hget', 'str', 'x'],
    ['hset', 'str', 'a', 'b'],
    ['hgetall', 'str'],
    ['hdel', 'h', 'f1', 'f3', 'n', 'fl', 'f9', 'a', 'big'],
    ['exists', 'h'],
    ['hset', 'bin', Buffer.from([0, 255]), Buffer.from([128, 0, 1])],
    ['hgetall', 'bin'],
  ]);
});

test('big hashes (hashtable encoding) compare as sets', async () => {
  const p = await env.fresh();
  const args = ['hset', 'h'];
  for (let i = 0; i < 600; i++) args.push(`f${i}`, `v${i}`);
  await runCases(p, [
    args,
    { cmd: ['hgetall', 'h'], norm: sortedPairs },
    { cmd: ['hkeys', 'h'], norm: sorted },
    ['hlen', 'h'],
    ['hget', 'h', 'f599'],
  ]);
});

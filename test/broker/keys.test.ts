// Differential tests: generic key commands and expiry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { both, decode, runCases, sorted, useDifferential } from './harness.ts';

const env = useDifferential({ before, after });

test('DEL, EXISTS, TYPE, RENAME, COPY, MOVE', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['set', 's', 'v'],
    ['lpush', 'l', '1'],
    ['hset', 'h', 'f', 'v'],
    ['sadd', 'st', 'm'],
    ['zadd', 'z', '1', 'm'],
    ['xadd', 'x', '1-1', 'f', 'v'],
    ['type', 's'],
    ['type', 'l'],
    ['type', 'h'],
    ['type', 'st'],
    ['type', 'z'],
    ['type', 'x'],
    ['type', 'nokey'],
    ['exists', 's', 's', 'nokey', 'l'],
    ['del', 's', 'nokey', 'l'],
    ['unlink', 'h', 'h'],
    ['exists', 's', 'l', 'h'],
    ['set', 'r1', 'v'],
    ['expire', 'r1', '1000'],
    ['rename', 'r1', 'r2'],
    ['ttl', 'r2'],
    ['rename', 'r1', 'r2'],
    ['renamenx', 'r2', 'r2'],
    ['rename', 'r2', 'r2'],
    ['set', 'r3', 'x'],
    ['renamenx', 'r2', 'r3'],
    ['rename', 'z', 'r3'],
    ['type', 'r3'],
    ['copy', 'r2', 'r4'],
    ['copy', 'r2', 'r4'],
    ['copy', 'r2', 'r4', 'replace'],
    ['copy', 'r2', 'r2'],
    ['copy', 'r2', 'r5', 'db', '1'],
    ['copy', 'r2', 'r5', 'db', '99'],
    ['copy', 'x', 'x2'],
    ['xrange', 'x2', '-', '+'],
    ['move', 'r4', '1'],
    ['move', 'r4', '1'],
    ['move', 'r2', '0'],
    ['select', '1'],
    ['get', 'r4'],
    ['get', 'r5'],
    ['select', '0'],
    ['dbsize'],
    ['touch', 'r2', 'nokey'],
    ['object', 'encoding', 'r2'],
    ['set', 'n', '12345'],
    ['object', 'encoding', 'n'],
    ['object', 'encoding', 'nokey'],
    ['object', 'foo'],
    ['randomkey', 'x'],
  ]);
});

test('expiry: EXPIRE family, TTL, PERSIST, lazy deletion', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['set', 'b', 'v'],
    ['expire', 'b', '100'],
    ['ttl', 'b'],
    ['pexpire', 'b', '100000'],
    ['ttl', 'b'],
    ['expire', 'b', '100', 'nx'],
    ['expire', 'b', '100', 'xx'],
    ['expire', 'b', '50', 'gt'],
    ['expire', 'b', '500', 'gt'],
    ['ttl', 'b'],
    ['expire', 'b', '50', 'lt'],
    ['ttl', 'b'],
    ['expire', 'b', '50', 'nx', 'xx'],
    ['expire', 'b', '50', 'gt', 'lt'],
    ['expire', 'b', '50', 'foo'],
    ['expire', 'b', 'abc'],
    ['expire', 'b', 'abc', 'foo'],
    ['expire', 'b', '9223372036854775807'],
    ['pexpire', 'b', '9223372036854775807'],
    ['expireat', 'b', '9999999999'],
    ['expiretime', 'b'],
    ['pexpireat', 'b', '99999999999999'],
    ['pexpiretime', 'b'],
    ['persist', 'b'],
    ['persist', 'b'],
    ['ttl', 'b'],
    ['pttl', 'nokey'],
    ['expire', 'nokey', '10'],
    ['expire', 'b', '-1'],
    ['exists', 'b'],
    ['set', 'c', 'v'],
    ['pexpireat', 'c', '1'],
    ['get', 'c'],
    ['set', 'd', 'v', 'px', '1'],
  ]);
  await new Promise((r) => setTimeout(r, 20));
  await runCases(p, [['get', 'd'], ['exists', 'd'], ['ttl', 'd'], ['dbsize']]);
});

test('active expiry removes keys nobody reads', async () => {
  const p = await env.fresh();
  for (let i = 0; i < 50; i++) await both(p, ['set', `k${i}`, 'v', 'px', '1']);
  await new Promise((r) => setTimeout(r, 600));
  const r = await both(p, ['dbsize']);
  assert.equal(r.broker.toString(), ':0\r\n');
  assert.equal(r.redis.toString(), ':0\r\n');
});

test('KEYS and SCAN', async () => {
  const p = await env.fresh();
  for (const k of ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'a*b', 'other']) await both(p, ['set', k, '1']);
  await both(p, ['lpush', 'list', 'x']);
  await runCases(p, [
    { cmd: ['keys', '*'], norm: sorted },
    { cmd: ['keys', 'h?llo'], norm: sorted },
    { cmd: ['keys', 'h*llo'], norm: sorted },
    { cmd: ['keys', 'h[ae]llo'], norm: sorted },
    { cmd: ['keys', 'h[^e]llo'], norm: sorted },
    { cmd: ['keys', 'a\\*b'], norm: sorted },
    ['keys', 'nomatch*'],
    ['scan', 'x'],
    ['scan', '0', 'count', '0'],
    ['scan', '0', 'count', 'x'],
    ['scan', '0', 'foo', 'bar'],
  ]);
  // A full SCAN iteration returns every key exactly once, with MATCH/TYPE filters.
  for (const extra of [[], ['match', 'h*'], ['type', 'list'], ['count', '2']]) {
    const seen: string[][] = [];
    for (const conn of [p.redis, p.broker]) {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [v] = decode(await conn.send(['scan', cursor, ...extra]));
        const [c, ks] = v as [string, string[]];
        cursor = c;
        keys.push(...ks);
      } while (cursor !== '0');
      seen.push(keys.sort());
    }
    assert.deepEqual(seen[1], seen[0], `SCAN ${extra.join(' ')}`);
  }
});

test('SCAN returns every key that exists throughout, despite writes in between (broker)', async () => {
  const p = await env.fresh();
  const c = p.broker;
  const stable = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    await c.send(['set', `stable:${i}`, '1']);
    stable.add(`stable:${i}`);
  }
  for (const type of ['hash', 'set', 'zset']) {
    const key = `big:${type}`;
    for (let i = 0; i < 300; i++) {
      if (type === 'hash') await c.send(['hset', key, `f${i}`, 'x'.repeat(70)]);
      if (type === 'set') await c.send(['sadd', key, `m${i}`]);
      if (type === 'zset') await c.send(['zadd', key, String(i), `m${i}`]);
    }
  }
  const seen = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const [v] = decode(await c.send(['scan', cursor, 'count', '7', 'match', 'stable:*']));
    const [next, keys] = v as [string, string[]];
    for (const k of keys) seen.add(k);
    cursor = next;
    await c.send(['set', `churn:${calls}`, 'x']);
    await c.send(['del', `churn:${calls - 3}`]);
    calls++;
  } while (cursor !== '0');
  for (const k of stable) assert.ok(seen.has(k), k);
  assert.ok(calls > 100, `iteration took ${calls} calls`);
  for (const [cmd, key, per] of [['hscan', 'big:hash', 2], ['sscan', 'big:set', 1], ['zscan', 'big:zset', 2]] as const) {
    const got = new Set<string>();
    cursor = '0';
    do {
      const [v] = decode(await c.send([cmd, key, cursor, 'count', '10']));
      const [next, items] = v as [string, string[]];
      for (let i = 0; i < items.length; i += per) got.add(items[i]!);
      cursor = next;
    } while (cursor !== '0');
    assert.equal(got.size, 300, cmd);
  }
});

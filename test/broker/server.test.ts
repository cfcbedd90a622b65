// Differential tests: connection/server commands, errors for unknown commands
// and arity, AUTH with a password, CONFIG, INFO.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differential, RawConn, both, decode, runCases, same, sortedPairs, useDifferential } from './harness.ts';

const env = useDifferential({ before, after });

test('unknown commands, arity and subcommand errors', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['foo'],
    ['foo', 'bar', 'baz'],
    ['foo', 'a\r\nb'],
    ['foo', 'x'.repeat(200), 'y'],
    ['foo', ...Array.from({ length: 40 }, (_, i) => `arg${i}`)],
    ['GET'],
    ['get', 'a', 'b'],
    ['CLIENT', 'FOO'],
    ['ClIeNt', 'bar'],
    ['client'],
    ['config', 'get'],
    ['config', 'foo'],
    ['script', 'foo'],
    ['object', 'foo'],
    ['pubsub', 'foo'],
    ['xinfo', 'foo'],
    ['ping', 'a', 'b'],
    ['echo'],
  ]);
});

test('connection commands', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['ping'],
    ['ping', 'hello'],
    ['echo', Buffer.from([0, 1, 255])],
    ['select', '16'],
    ['select', 'x'],
    ['select', '-1'],
    ['select', '15'],
    ['set', 'in15', 'v'],
    ['select', '0'],
    ['get', 'in15'],
    ['dbsize'],
    ['swapdb', '0', '15'],
    ['get', 'in15'],
    ['swapdb', '0', '15'],
    ['swapdb', '0', '16'],
    ['swapdb', 'x', '1'],
    ['flushdb', 'foo'],
    ['flushdb', 'sync'],
    ['flushall', 'async'],
    ['auth', 'x'],
    ['auth', 'a', 'b'],
    ['auth', 'default', 'anything'],
    ['auth', 'a', 'b', 'c'],
    ['hello', '4'],
    ['hello', 'x'],
    ['hello', '2', 'foo'],
    ['hello', '2', 'setname', 'bad name'],
    ['client', 'setname', 'a b'],
    ['client', 'setname', 'ab'],
    ['client', 'getname'],
    ['client', 'setname', ''],
    ['client', 'getname'],
    ['client', 'list', 'foo'],
    ['client', 'list', 'type', 'foo'],
    ['client', 'kill', '1.2.3.4:5'],
    ['client', 'kill', 'id', 'x'],
    ['client', 'unblock', 'x'],
    ['client', 'unblock', '99999'],
    ['client', 'reply', 'foo'],
    ['config', 'set', 'maxmemory', 'abc'],
    ['config', 'set', 'foo', '1'],
    ['config', 'set', 'maxmemory'],
    ['config', 'set', 'maxmemory', '10mb'],
    ['config', 'get', 'maxmemory'],
    ['config', 'set', 'maxmemory', '0'],
    ['config', 'get', 'maxmemory-policy'],
    ['config', 'get', 'notify-keyspace-events'],
    ['config', 'get', 'databases'],
    ['config', 'get', 'nonexistent-param'],
    { cmd: ['config', 'get', 'busy-reply-threshold', 'lua-time-limit'], norm: sortedPairs },
    ['time', 'extra'],
    ['lastsave', 'x'],
    ['wait', '0', '0'],
    ['role', 'x'],
  ]);
  // Shapes (values differ between servers).
  const h = await both(p, ['hello', '2']);
  const [hv] = decode(h.broker);
  const [hr] = decode(h.redis);
  assert.equal((hv as unknown[]).length, (hr as unknown[]).length);
  assert.equal((await p.broker.send(['hello', '3'])).toString(), '-NOPROTO unsupported protocol version\r\n');
  const t = decode(await p.broker.send(['time']))[0] as string[];
  assert.ok(Math.abs(Number(t[0]) - Date.now() / 1000) < 5);
  const info = (decode(await p.broker.send(['info']))[0] as string).split('\r\n');
  assert.ok(info.includes('redis_version:7.0.15'));
  for (const section of ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# Keyspace']) assert.ok(info.includes(section), section);
  assert.ok(info.includes('loading:0'));
  assert.ok(info.includes('maxmemory_policy:noeviction'));
  const list = decode(await p.broker.send(['client', 'list']))[0] as string;
  assert.match(list, /^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name= /);
  assert.equal((await p.broker.send(['client', 'setinfo', 'lib-name', 'ioredis'])).toString(), '+OK\r\n');
  assert.equal((await p.broker.send(['client', 'setinfo', 'lib-ver', '5.4.1'])).toString(), '+OK\r\n');
  assert.match(decode(await p.broker.send(['client', 'info']))[0] as string, /lib-name=ioredis lib-ver=5\.4\.1/);
  assert.equal((await p.broker.send(['client', 'setinfo', 'foo', 'x'])).toString(), "-ERR Unrecognized option 'foo'\r\n");
});

test('CLIENT REPLY OFF/SKIP and CLIENT KILL', async () => {
  const p = await env.fresh();
  for (const conn of [p.redis, p.broker]) {
    conn.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n');
    assert.equal((await conn.read()).toString(), '$1\r\nb\r\n');
    conn.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n');
    assert.equal((await conn.read()).toString(), '+OK\r\n');
  }
  const q = await env.get().pair();
  const ids = await both(q, ['client', 'id']);
  const kill = await Promise.all([p.redis.send(['client', 'kill', 'id', ids.redis.toString().slice(1, -2)]), p.broker.send(['client', 'kill', 'id', ids.broker.toString().slice(1, -2)])]);
  assert.deepEqual(kill.map(String), [':1\r\n', ':1\r\n']);
  await assert.rejects(q.broker.send(['ping']));
  await assert.rejects(q.redis.send(['ping']));
});

test('AUTH with a password, NOAUTH before it', async () => {
  const d = await Differential.start({ broker: { password: 's3cret' }, redisArgs: ['--requirepass', 's3cret'] });
  try {
    const p = await d.pair();
    await runCases(p, [
      ['get', 'x'],
      ['ping'],
      ['hello', '2'],
      ['auth', 'wrong'],
      ['auth', 'default', 'wrong'],
      ['auth', 'other', 's3cret'],
      ['auth', 's3cret'],
      ['get', 'x'],
      ['reset'],
      ['get', 'x'],
      ['auth', 'default', 's3cret'],
      ['get', 'x'],
    ]);
    const q = await d.pair();
    await runCases(q, [['multi'], ['get', 'x'], ['exec']]);
    const fresh = { redis: await RawConn.connect(d.redis.port), broker: await RawConn.connect(d.broker.port) };
    d.conns.push(fresh);
    const hello = await both(fresh, ['hello', '2', 'auth', 'default', 's3cret', 'setname', 'me']);
    assert.equal(decode(hello.broker)[0] instanceof Array, true);
    await same(fresh, ['client', 'getname']);
  } finally {
    await d.stop();
  }
});

test('the broker reports its own port, and maxmemory from the options', async () => {
  const d = env.get();
  const p = await env.fresh();
  const port = decode(await p.broker.send(['config', 'get', 'port']))[0] as string[];
  assert.equal(port[1], String(d.broker.port));
  const dd = await Differential.start({ broker: { maxmemory: '2mb' } });
  try {
    const q = await dd.pair();
    const mm = decode(await q.broker.send(['config', 'get', 'maxmemory']))[0] as string[];
    assert.equal(mm[1], String(2 * 1024 * 1024));
    // Fill up to the limit: writes are then refused, reads and deletes still work.
    let i = 0;
    for (; i < 1000; i++) {
      const r = (await q.broker.send(['set', `k${i}`, 'x'.repeat(10000)])).toString();
      if (r !== '+OK\r\n') {
        assert.equal(r, "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
        break;
      }
    }
    assert.ok(i > 50 && i < 1000, `OOM after ${i} writes`);
    assert.equal((await q.broker.send(['get', 'k0'])).length, 10000 + 10);
    assert.equal((await q.broker.send(['del', 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'])).toString(), ':10\r\n');
    assert.equal((await q.broker.send(['set', 'again', 'x'])).toString(), '+OK\r\n');
  } finally {
    await dd.stop();
  }
});

test('CONFIG RESETSTAT starts INFO commandstats over; the calls counted after it match', async () => {
  const p = await env.fresh();
  // Commands and their call counts, as each server reports them (timings differ by nature).
  const calls = (b: Buffer) =>
    (decode(b)[0] as string)
      .split('\r\n')
      .filter((l) => l.startsWith('cmdstat_'))
      .map((l) => l.replace(/^(cmdstat_[^:]+):calls=(\d+),.*$/, '$1=$2'))
      .sort()
      .join(' ');
  for (const conn of [p.redis, p.broker]) for (const cmd of [['set', 'k', 'v'], ['get', 'k'], ['get', 'k']]) await conn.send(cmd);
  await same(p, ['config', 'resetstat']);
  for (const conn of [p.redis, p.broker]) for (const cmd of [['set', 'k', 'v'], ['get', 'k'], ['client', 'id']]) await conn.send(cmd);
  const stats = await both(p, ['info', 'commandstats']);
  assert.equal(calls(stats.broker), calls(stats.redis));
  assert.match(calls(stats.broker), /cmdstat_get=1 /, 'counting starts from the reset');
});

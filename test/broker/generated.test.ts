// Generated differential suite: random command sequences over a small
// keyspace, run against redis-server 7.0 and the embedded broker, compared
// reply by reply. Covers every type, MULTI/EXEC/WATCH across two clients,
// expiry (long PEXPIREs: presence compared, TTLs only by sign) and small Lua
// scripts. On a divergence fast-check shrinks the sequence and the failure
// message shows the shortest one found.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Differential, both, decode, show, type Pair } from './harness.ts';

const RUNS = Number(process.env.BROKER_FC_RUNS ?? 1000);
const SEED = process.env.BROKER_FC_SEED ? Number(process.env.BROKER_FC_SEED) : undefined;

let d: Differential;
let conns: Pair[];

before(async () => {
  d = await Differential.start();
  conns = [await d.pair(), await d.pair()];
});

after(async () => {
  await d.stop();
});

type Norm = 'sorted' | 'ttl' | 'sortedPairs';
interface Cmd {
  c: number; // which client
  argv: string[];
  norm?: Norm;
}

const key = fc.constantFrom('a', 'b', 'c', 'd');
const field = fc.constantFrom('f1', 'f2', 'f3');
const value = fc.constantFrom('1', '2', '10', '-1', 'x', '', 'abc', '3.5', '\x00\xff', '9223372036854775807', ' 7');
const int = fc.constantFrom('0', '1', '2', '-1', '-2', '5', '100', 'x');
const score = fc.constantFrom('0', '1', '1.5', '-0.25', '2', '1e3', 'inf', '-inf', '3');
const range = fc.constantFrom('-inf', '+inf', '0', '1', '(1', '2', '(2.5', 'x');
const lex = fc.constantFrom('-', '+', '[a', '(b', '[x', 'c');
const member = fc.constantFrom('m1', 'm2', 'm3', '1', '2', 'x');
const longMs = fc.constantFrom('100000', '2000000', '99999999');

const cmd = (argv: fc.Arbitrary<string[]>, norm?: Norm): fc.Arbitrary<Omit<Cmd, 'c'>> => argv.map((a) => (norm ? { argv: a, norm } : { argv: a }));
const t = (...parts: fc.Arbitrary<string>[]) => fc.tuple(...parts);

const stringCmds = [
  cmd(t(fc.constant('set'), key, value)),
  cmd(t(fc.constant('set'), key, value, fc.constantFrom('nx', 'xx', 'get', 'keepttl'))),
  cmd(t(fc.constant('set'), key, value, fc.constant('px'), longMs)),
  cmd(t(fc.constant('get'), key)),
  cmd(t(fc.constant('incr'), key)),
  cmd(t(fc.constant('incrby'), key, int)),
  cmd(t(fc.constant('decrby'), key, int)),
  cmd(t(fc.constant('incrbyfloat'), key, fc.constantFrom('0.1', '1.5', '-2', 'x', '1e3'))),
  cmd(t(fc.constant('append'), key, value)),
  cmd(t(fc.constant('strlen'), key)),
  cmd(t(fc.constant('getdel'), key)),
  cmd(t(fc.constant('setnx'), key, value)),
  cmd(t(fc.constant('getrange'), key, int, int)),
  cmd(t(fc.constant('setrange'), key, fc.constantFrom('0', '2', '5'), value)),
  cmd(t(fc.constant('mget'), key, key)),
  cmd(t(fc.constant('mset'), key, value, key, value)),
];

const keyCmds = [
  cmd(t(fc.constant('del'), key, key)),
  cmd(t(fc.constant('exists'), key, key)),
  cmd(t(fc.constant('type'), key)),
  cmd(t(fc.constant('pexpire'), key, longMs)),
  cmd(t(fc.constant('pexpire'), key, fc.constantFrom('0', '-5'))),
  cmd(t(fc.constant('expire'), key, fc.constantFrom('1000', '5000'), fc.constantFrom('nx', 'xx', 'gt', 'lt'))),
  cmd(t(fc.constant('pexpireat'), key, fc.constant('1'))),
  cmd(t(fc.constant('pttl'), key), 'ttl'),
  cmd(t(fc.constant('ttl'), key), 'ttl'),
  cmd(t(fc.constant('persist'), key)),
  cmd(t(fc.constant('rename'), key, key)),
  cmd(t(fc.constant('renamenx'), key, key)),
  cmd(t(fc.constant('copy'), key, key)),
  cmd(t(fc.constant('copy'), key, key, fc.constant('replace'))),
  cmd(t(fc.constant('keys'), fc.constantFrom('*', '[ab]', '?')), 'sorted'),
  cmd(t(fc.constant('dbsize'))),
];

const hashCmds = [
  cmd(t(fc.constant('hset'), key, field, value)),
  cmd(t(fc.constant('hset'), key, field, value, field, value)),
  cmd(t(fc.constant('hget'), key, field)),
  cmd(t(fc.constant('hdel'), key, field, field)),
  cmd(t(fc.constant('hgetall'), key)),
  cmd(t(fc.constant('hincrby'), key, field, int)),
  cmd(t(fc.constant('hincrbyfloat'), key, field, fc.constantFrom('0.5', '-1', 'x'))),
  cmd(t(fc.constant('hlen'), key)),
  cmd(t(fc.constant('hexists'), key, field)),
  cmd(t(fc.constant('hmget'), key, field, field)),
  cmd(t(fc.constant('hsetnx'), key, field, value)),
  cmd(t(fc.constant('hkeys'), key)),
];

const listCmds = [
  cmd(t(fc.constant('lpush'), key, value, value)),
  cmd(t(fc.constant('rpush'), key, value)),
  cmd(t(fc.constant('lpop'), key)),
  cmd(t(fc.constant('rpop'), key, fc.constantFrom('0', '1', '3'))),
  cmd(t(fc.constant('lrange'), key, int, int)),
  cmd(t(fc.constant('llen'), key)),
  cmd(t(fc.constant('lindex'), key, int)),
  cmd(t(fc.constant('lrem'), key, int, value)),
  cmd(t(fc.constant('lset'), key, int, value)),
  cmd(t(fc.constant('ltrim'), key, int, int)),
  cmd(t(fc.constant('linsert'), key, fc.constantFrom('before', 'after'), value, value)),
  cmd(t(fc.constant('lpos'), key, value)),
  cmd(t(fc.constant('lpos'), key, value, fc.constant('count'), fc.constantFrom('0', '2'))),
  cmd(t(fc.constant('lmove'), key, key, fc.constantFrom('left', 'right'), fc.constantFrom('left', 'right'))),
  cmd(t(fc.constant('rpoplpush'), key, key)),
  cmd(t(fc.constant('lpushx'), key, value)),
];

const setCmds = [
  cmd(t(fc.constant('sadd'), key, member, member)),
  cmd(t(fc.constant('srem'), key, member)),
  cmd(t(fc.constant('smembers'), key), 'sorted'),
  cmd(t(fc.constant('scard'), key)),
  cmd(t(fc.constant('sismember'), key, member)),
  cmd(t(fc.constant('sinter'), key, key), 'sorted'),
  cmd(t(fc.constant('sunion'), key, key), 'sorted'),
  cmd(t(fc.constant('sdiff'), key, key), 'sorted'),
  cmd(t(fc.constant('sinterstore'), key, key, key)),
  cmd(t(fc.constant('smove'), key, key, member)),
];

const zsetCmds = [
  cmd(t(fc.constant('zadd'), key, score, member)),
  cmd(t(fc.constant('zadd'), key, fc.constantFrom('nx', 'xx', 'gt', 'lt', 'ch', 'incr'), score, member)),
  cmd(t(fc.constant('zadd'), key, score, member, score, member)),
  cmd(t(fc.constant('zincrby'), key, score, member)),
  cmd(t(fc.constant('zrem'), key, member)),
  cmd(t(fc.constant('zscore'), key, member)),
  cmd(t(fc.constant('zrank'), key, member)),
  cmd(t(fc.constant('zcard'), key)),
  cmd(t(fc.constant('zrange'), key, int, int, fc.constantFrom('withscores', 'rev'))),
  cmd(t(fc.constant('zrange'), key, range, range, fc.constant('byscore'))),
  cmd(t(fc.constant('zrangebyscore'), key, range, range, fc.constant('withscores'))),
  cmd(t(fc.constant('zrevrangebyscore'), key, range, range, fc.constant('limit'), fc.constantFrom('0', '1'), fc.constantFrom('1', '-1'))),
  cmd(t(fc.constant('zrangebylex'), key, lex, lex)),
  cmd(t(fc.constant('zcount'), key, range, range)),
  cmd(t(fc.constant('zpopmin'), key)),
  cmd(t(fc.constant('zpopmax'), key, fc.constantFrom('1', '2'))),
  cmd(t(fc.constant('zremrangebyscore'), key, range, range)),
  cmd(t(fc.constant('zremrangebyrank'), key, int, int)),
  cmd(t(fc.constant('zunionstore'), key, fc.constant('2'), key, key)),
  cmd(t(fc.constant('zinterstore'), key, fc.constant('2'), key, key, fc.constant('aggregate'), fc.constantFrom('sum', 'min', 'max'))),
];

const streamCmds = [
  cmd(t(fc.constant('xadd'), key, fc.constantFrom('1-1', '2-0', '2-*', '5', '10-3', '0-1'), fc.constant('f'), value)),
  cmd(t(fc.constant('xadd'), key, fc.constant('maxlen'), fc.constantFrom('1', '2'), fc.constantFrom('3-*', '20-0'), fc.constant('f'), value)),
  cmd(t(fc.constant('xlen'), key)),
  cmd(t(fc.constant('xrange'), key, fc.constantFrom('-', '1', '(1-1'), fc.constantFrom('+', '5'))),
  cmd(t(fc.constant('xrevrange'), key, fc.constant('+'), fc.constant('-'), fc.constant('count'), fc.constantFrom('1', '2'))),
  cmd(t(fc.constant('xdel'), key, fc.constantFrom('1-1', '2-0', '5-0'))),
  cmd(t(fc.constant('xtrim'), key, fc.constant('maxlen'), fc.constantFrom('0', '1', '2'))),
  cmd(t(fc.constant('xread'), fc.constant('count'), fc.constant('2'), fc.constant('streams'), key, fc.constantFrom('0', '1-1', '$'))),
];

const scripts = [
  "return redis.call('get', KEYS[1])",
  "return redis.call('incr', KEYS[1])",
  "return redis.pcall('lpush', KEYS[1], ARGV[1])",
  "local v = redis.call('hgetall', KEYS[1]) return #v",
  "return {redis.call('type', KEYS[1]).ok, redis.call('exists', KEYS[1])}",
  "return redis.call('zadd', KEYS[1], ARGV[1], 'm1')",
  "return cjson.encode({redis.call('llen', KEYS[1])})",
  "redis.call('set', KEYS[1], ARGV[1]) return redis.call('strlen', KEYS[1])",
  "local n = tonumber(redis.call('get', KEYS[1])) if n then return n * 2 end return 'nan'",
  "return redis.call('hincrby', KEYS[1], 'f1', ARGV[1])",
  "return {redis.call('zrange', KEYS[1], 0, -1, 'withscores')}",
  "local ok, e = pcall(redis.call, 'incr', KEYS[1]) return {ok and 1 or 0, type(e)}",
  "return redis.call('rpoplpush', KEYS[1], KEYS[1])",
  "return cmsgpack.unpack(cmsgpack.pack({ARGV[1], 3}))[2]",
  "error('custom')",
  "return redis.call('lrange', KEYS[1], 0, -1)",
  "return {1, 2.9, -3.5, 'x', false, {ok='fine'}, {err='bad'}}",
  "return tostring(redis.call('zscore', KEYS[1], 'm1'))",
  "return cjson.decode('[1, \"two\", {\"k\": 3}]')[3].k + 1",
  "return redis.pcall('hget', KEYS[1], 'f1')",
  "return redis.status_reply(redis.call('type', KEYS[1]).ok)",
  "local t = redis.call('hgetall', KEYS[1]) local out = {} for i = 1, #t, 2 do out[#out + 1] = t[i] .. '=' .. t[i + 1] end return table.concat(out, ',')",
  "return redis.call('xadd', KEYS[1], '7-*', 'f', ARGV[1])",
  "return #redis.call('keys', '*')",
];
const luaCmds = [cmd(t(fc.constant('eval'), fc.constantFrom(...scripts), fc.constant('1'), key, value))];

const plain = fc.oneof(...stringCmds, ...keyCmds, ...hashCmds, ...listCmds, ...setCmds, ...zsetCmds, ...streamCmds, ...luaCmds);
const withClient = (a: fc.Arbitrary<Omit<Cmd, 'c'>>, c: number): fc.Arbitrary<Cmd> => a.map((x) => ({ ...x, c }));

/** Blocking commands: inside MULTI they must behave as if they timed out. */
const blocking = [
  cmd(t(fc.constant('blpop'), key, key, fc.constant('0'))),
  cmd(t(fc.constant('brpoplpush'), key, key, fc.constant('0'))),
  cmd(t(fc.constant('blmove'), key, key, fc.constant('left'), fc.constant('right'), fc.constant('0'))),
  cmd(t(fc.constant('bzpopmin'), key, fc.constant('0'))),
  cmd(t(fc.constant('xread'), fc.constant('block'), fc.constant('0'), fc.constant('streams'), key, fc.constant('$'))),
];
const inMulti = fc.oneof({ weight: 8, arbitrary: plain }, { weight: 1, arbitrary: fc.oneof(...blocking) });

/** MULTI ... EXEC/DISCARD on client 0, sometimes with a queued error. */
const transaction: fc.Arbitrary<Cmd[]> = fc
  .tuple(
    fc.array(inMulti, { minLength: 0, maxLength: 4 }),
    fc.constantFrom('exec', 'exec', 'exec', 'discard'),
    fc.constantFrom<string[] | null>(null, null, null, ['nosuchcmd'], ['get']),
  )
  .map(([body, end, bad]) => [
    { c: 0, argv: ['multi'] },
    ...body.map((x) => ({ ...x, c: 0 })),
    ...(bad ? [{ c: 0, argv: bad }] : []),
    { c: 0, argv: [end] },
  ]);

/** WATCH on client 0, maybe a write from client 1, then a transaction. */
const watched: fc.Arbitrary<Cmd[]> = fc.tuple(key, fc.option(withClient(plain, 1)), transaction).map(([k, other, tx]) => [{ c: 0, argv: ['watch', k] }, ...(other ? [other] : []), ...tx]);

const step: fc.Arbitrary<Cmd[]> = fc.oneof(
  { weight: 12, arbitrary: withClient(plain, 0).map((x) => [x]) },
  { weight: 2, arbitrary: withClient(plain, 1).map((x) => [x]) },
  { weight: 2, arbitrary: transaction },
  { weight: 1, arbitrary: watched },
  { weight: 1, arbitrary: fc.constant<Cmd[]>([{ c: 0, argv: ['select', '1'] }, { c: 0, argv: ['set', 'a', 'db1'] }, { c: 0, argv: ['select', '0'] }]) },
);

const program = fc.array(step, { minLength: 1, maxLength: 12 }).map((steps) => steps.flat());

type Decoded = ReturnType<typeof decode>[0];

function normValue(v: Decoded, norm?: Norm): Decoded {
  if (norm === 'ttl') return typeof v === 'number' && v > 0 ? 'positive' : v;
  if (norm === 'sorted' && Array.isArray(v)) return v.map((x) => JSON.stringify(x)).sort();
  return v;
}

/** Compare exact bytes, except where a normalizer applies (also inside EXEC replies). */
function normalize(b: Buffer, norm?: Norm, queued?: (Norm | undefined)[]): string {
  if (queued && queued.some(Boolean)) {
    const [v] = decode(b);
    if (Array.isArray(v)) return JSON.stringify(v.map((x, i) => normValue(x, queued[i])));
    return JSON.stringify(v);
  }
  if (!norm) return show(b);
  return JSON.stringify(normValue(decode(b)[0], norm));
}

const display = (cmds: Cmd[]) => cmds.map((x) => `${x.c ? '[client 2] ' : ''}${x.argv.map((a) => JSON.stringify(a)).join(' ')}`).join('\n      ');

/** Run one sequence on both servers; returns a description of the first divergence, or null. */
async function divergence(cmds: Cmd[]): Promise<string | null> {
  for (const p of conns) {
    await both(p, ['discard']);
    await both(p, ['unwatch']);
    await both(p, ['select', '0']);
  }
  await both(conns[0]!, ['flushall']);
  const queued: ((Norm | undefined)[] | null)[] = [null, null];
  for (let i = 0; i < cmds.length; i++) {
    const x = cmds[i]!;
    const r = await both(conns[x.c]!, x.argv);
    const name = x.argv[0]!.toLowerCase();
    const q = queued[x.c]!;
    let a: string;
    let b: string;
    if (name === 'exec') {
      a = normalize(r.redis, undefined, q ?? undefined);
      b = normalize(r.broker, undefined, q ?? undefined);
      queued[x.c] = null;
    } else {
      a = normalize(r.redis, x.norm);
      b = normalize(r.broker, x.norm);
      const raw = r.redis.toString('latin1');
      if (name === 'multi' && raw === '+OK\r\n') queued[x.c] = [];
      else if (name === 'discard') queued[x.c] = null;
      else if (q && raw === '+QUEUED\r\n') q.push(x.norm);
    }
    if (a !== b) return `command #${i + 1} of\n      ${display(cmds)}\n    redis:  ${a}\n    broker: ${b}`;
  }
  return null;
}

test(`${RUNS} random command sequences give the same replies as redis-server`, { timeout: 600_000 }, async () => {
  const result = await fc.check(
    fc.asyncProperty(program, async (cmds) => (await divergence(cmds)) === null),
    { numRuns: RUNS, seed: SEED },
  );
  if (result.failed) {
    const shortest = result.counterexample![0];
    const why = (await divergence(shortest)) ?? String(result.errorInstance);
    assert.fail(`replies diverge (seed ${result.seed}, path ${result.counterexamplePath}, shrunk ${result.numShrinks} times); shortest sequence found:\n    ${why}`);
  }
  assert.equal(result.numRuns, RUNS);
  // Memory accounting came back to the baseline: no drift across all those writes.
  await both(conns[0]!, ['flushall']);
  const acct = d.broker.server.ks.acct.used;
  assert.equal(acct, 0, `accounted bytes after FLUSHALL: ${acct}`);
});

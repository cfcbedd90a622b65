// Hostile and careless input: scripts that loop inside coroutines or try to yield out of
// themselves, Lua sandbox escapes, replies whose size a client chooses, clients that stop
// reading, cross-protocol requests, replies that differed from Redis. Compared with a real
// redis-server wherever Redis has a behaviour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawConn, both, decode, runCases, show, useDifferential, type Pair } from './harness.ts';

const logs: string[] = [];
const env = useDifferential({ before, after }, { broker: { log: (_level, msg) => logs.push(msg) } });
const ev = (src: string, ...rest: string[]) => ['eval', src, ...(rest.length ? rest : ['0'])];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Both servers' value of one INFO field. */
async function infoField(p: Pair, section: string, field: string): Promise<{ redis: string; broker: string }> {
  const r = await both(p, ['info', section]);
  const get = (b: Buffer) => {
    const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(decode(b)[0] as string);
    return m ? m[1]! : '';
  };
  return { redis: get(r.redis), broker: get(r.broker) };
}

// ---------------------------------------------------------------------------
// Lua

test('a loop inside a coroutine answers BUSY to others and SCRIPT KILL stops it', async () => {
  const p = await env.fresh();
  const q = await env.get().pair();
  await both(q, ['config', 'set', 'busy-reply-threshold', '100']);
  try {
    for (const src of [
      'local f = coroutine.wrap(function() while true do end end) f()',
      // Two levels deep, through coroutine.resume.
      'local co = coroutine.create(function() local g = coroutine.wrap(function() while true do end end) g() end) return {coroutine.resume(co)}',
    ]) {
      const running = both(p, ev(src));
      await sleep(400);
      await runCases(q, [['ping'], ['get', 'x'], ['script', 'kill']]);
      const r = await running;
      assert.equal(show(r.broker), show(r.redis), src);
      await runCases(q, [['ping'], ['script', 'kill']]);
    }
  } finally {
    await both(q, ['config', 'set', 'busy-reply-threshold', '5000']);
  }
});

test('a script cannot yield out of itself: it runs to its end, atomically', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ev('coroutine.yield()'),
    ev('return {pcall(coroutine.yield)}'),
    ev("redis.call('set', 'a', '1') coroutine.yield() redis.call('set', 'a', '2')"),
    ['get', 'a'],
    // Coroutines inside a script still yield to their resumer.
    ev('local f = coroutine.wrap(function() coroutine.yield(1) return 2 end) return {f(), f()}'),
    ev("local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) return {x, y, coroutine.status(co)}"),
    ev("local f = coroutine.wrap(function() error('boom') end) f()"),
    ev('return coroutine.running()'),
  ]);
  // Another client's script is not refused meanwhile ("a script is already running").
  const q = await env.get().pair();
  await runCases(q, [ev('return 1')]);
});

test('a loop where nothing can yield (a sort comparator) is stopped instead of holding the broker', async () => {
  const p = await env.fresh();
  const b = p.broker;
  await b.send(['config', 'set', 'busy-reply-threshold', '100']);
  try {
    const r = (await b.send(ev('table.sort({3, 2, 1}, function(a, b) while true do end end)'), 20000)).toString();
    assert.match(r, /^-ERR Script stopped: it ran past busy-reply-threshold inside a function that cannot be interrupted/);
    assert.equal((await b.send(['ping'])).toString(), '+PONG\r\n');
  } finally {
    await b.send(['config', 'set', 'busy-reply-threshold', '5000']);
  }
});

test('the script sandbox: globals, cjson depth, shebang flags', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ev('_G = {}'),
    ev('KEYS = {}'),
    ev('ARGV = nil'),
    ev("KEYS[1] = 'x' return KEYS[1]"),
    ev('return _G == _G._G'),
    ev('cjson.encode_max_depth(2) return cjson.encode({{{1}}})'),
    ev('return cjson.encode({{1}})'),
    ev('return cjson.encode_max_depth()'),
    ev('return cjson.encode_max_depth(0)'),
    ev('return cjson.encode_max_depth(3.5)'),
    ev("return cjson.encode_max_depth('x')"),
    ev('return cjson.encode_max_depth(5, 6)'),
    ['script', 'flush'],
    ev('return cjson.encode_max_depth()'),
    ev('#!lua flags=\nreturn 1'),
    ev('#!lua flags=no-writes,\nreturn 1'),
    ['zintercard', '0', 'k'],
    ['zintercard', '-1', 'k'],
    ['zintercard', 'x', 'k'],
    ['zintercard', '2', 'k'],
  ]);
});

test('the Lua VM gives its memory back after a big script', async () => {
  const p = await env.fresh();
  const big = "local t = {} for i = 1, 1000000 do t[i] = i .. 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' end return #t";
  const run = async () => {
    const [r, b] = await Promise.all([p.redis.send(ev(big), 60000), p.broker.send(ev(big), 60000)]);
    assert.equal(show(b), show(r));
  };
  await run();
  const limit = 64 * 1024 * 1024;
  let last = { redis: '', broker: '' };
  for (let i = 0; i < 100; i++) {
    last = await infoField(p, 'memory', 'used_memory_vm_eval');
    if (Number(last.broker) > 0 && Number(last.broker) <= limit) break;
    await sleep(100);
  }
  // (Redis's Lua heap shrinks at its collector's pace; the broker's WebAssembly memory cannot
  // shrink at all, so the broker replaces the module: checked on the broker alone.)
  assert.ok(Number(last.broker) > 0 && Number(last.broker) <= limit, `broker used_memory_vm_eval ${last.broker}`);
  // Cached scripts survive the fresh VM.
  const sha = decode(await p.redis.send(['script', 'load', 'return 42']))[0] as string;
  await p.broker.send(['script', 'load', 'return 42']);
  await run();
  await runCases(p, [['evalsha', sha, '0']]);
});

// ---------------------------------------------------------------------------
// Replies whose size comes from an argument

test('SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: counts out of range are refused as in Redis', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['sadd', 's', 'a', 'b'],
    ['hset', 'h', 'a', '1'],
    ['zadd', 'z', '1', 'a'],
    ['srandmember', 's', '-9223372036854775808'],
    ['hrandfield', 'h', '-9223372036854775808'],
    ['zrandmember', 'z', '-9223372036854775808'],
    ['hrandfield', 'h', '-4611686018427387904', 'withvalues'],
    ['hrandfield', 'h', '4611686018427387904', 'withvalues'],
    ['zrandmember', 'z', '-4611686018427387904', 'withscores'],
    ['hrandfield', 'h', '-3', 'withvalues'],
    ['zrandmember', 'z', '-3', 'withscores'],
    ['srandmember', 's', 'x'],
    ['srandmember', 'nokey', '-5'],
    ['hrandfield', 'nokey', '-5'],
    ['zrandmember', 'nokey', '-5'],
  ]);
  // Random replies: the same shape (length, members drawn from the key) on both.
  const shape = (b: Buffer) => {
    const [v] = decode(b);
    return Array.isArray(v) ? `${v.length} items from ${JSON.stringify([...new Set(v.map(String))].sort())}` : JSON.stringify(v);
  };
  for (const cmd of [
    ['srandmember', 's', '-3000'],
    ['hrandfield', 'h', '-3000', 'withvalues'],
    ['zrandmember', 'z', '-3000', 'withscores'],
  ]) {
    await runCases(p, [{ cmd, norm: shape }]);
  }
});

test('a huge random reply streams as the client reads: the broker stays small and answers others', async () => {
  const p = await env.fresh();
  await both(p, ['sadd', 's', 'a', 'b', 'c']);
  const heapBefore = process.memoryUsage().heapUsed;
  // A client that asks the broker for 100 million members and reads slowly. (Not sent to
  // redis-server: it would build the whole reply, ~1.5 GB, before serving anyone else.)
  const sock = net.connect(env.get().broker.port, '127.0.0.1');
  sock.on('error', () => {});
  let head = '';
  let received = 0;
  sock.on('data', (d) => {
    received += d.length;
    if (head.length < 64) head += d.toString('latin1');
    sock.pause();
    setTimeout(() => sock.resume(), 50);
  });
  sock.write('SRANDMEMBER s -100000000\r\n');
  after(() => sock.destroy());
  await sleep(1500);
  assert.match(head, /^\*100000000\r\n\$1\r\n[abc]\r\n/);
  assert.ok(received > 0 && received < 100_000_000 * 7, `received ${received} bytes`);
  // Meanwhile another client is served.
  const other = await RawConn.connect(env.get().broker.port);
  assert.equal((await other.send(['scard', 's'])).toString(), ':3\r\n');
  other.close();
  const grown = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 100 * 1024 * 1024, `the broker's heap grew by ${grown} bytes`);
  sock.destroy();
  // Pipelined commands after a streamed reply get their replies after it, in order.
  const q = await env.get().pair();
  const r = await both(q, ['srandmember', 's', '-5000']);
  assert.equal((decode(r.broker)[0] as string[]).length, 5000);
  const pipe = Buffer.from('SRANDMEMBER s -5000\r\nPING\r\n');
  q.broker.write(pipe);
  const first = await q.broker.read();
  assert.equal((decode(first)[0] as string[]).length, 5000);
  assert.equal((await q.broker.read()).toString(), '+PONG\r\n');
});

test('inside a script, a reply past the bound is refused before it is built; others are served and data kept', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['sadd', 's', 'a', 'b', 'c'],
    ['hset', 'h', 'a', '1'],
    ['zadd', 'z', '1', 'a'],
    ['rpush', 'l', 'a', 'b', 'c'],
    // Within the bound, as Redis: the whole reply reaches the script.
    ev("return #redis.call('SRANDMEMBER', KEYS[1], -5000)", '1', 's'),
    ev("return #redis.call('HRANDFIELD', KEYS[1], -3000, 'withvalues')", '1', 'h'),
    ev("return #redis.call('ZRANDMEMBER', KEYS[1], -3000, 'withscores')", '1', 'z'),
    ev("return redis.call('LRANGE', KEYS[1], 0, -1)", '1', 'l'),
    ev("return redis.call('GETRANGE', KEYS[1], 0, 100000000)", '1', 'nokey'),
  ]);
  // Past it, on the broker alone: redis-server builds it (SRANDMEMBER s -100000000 answers after
  // about a minute, its Lua at 2.4 GB, BUSY to everyone meanwhile); the broker refuses at once.
  const started = Date.now();
  const tooLarge = /^-ERR SRANDMEMBER reply too large for a script: 100000000 elements; one redis\.call reply may hold at most 4194304 elements and 512 MB of strings/;
  assert.match((await p.broker.send(ev("return #redis.call('SRANDMEMBER', KEYS[1], -100000000)", '1', 's'))).toString(), tooLarge);
  // redis.pcall gets it as an error reply the script can look at; the script goes on.
  assert.equal(
    (await p.broker.send(ev("local r = redis.pcall('SRANDMEMBER', KEYS[1], -100000000) return {r.err ~= nil, redis.call('SCARD', KEYS[1])}", '1', 's'))).toString(),
    '*2\r\n:1\r\n:3\r\n',
  );
  // WITHVALUES/WITHSCORES count both halves.
  assert.match((await p.broker.send(ev("return #redis.call('HRANDFIELD', KEYS[1], -3000000, 'withvalues')", '1', 'h'))).toString(), /^-ERR HRANDFIELD reply too large for a script: 6000000 elements;/);
  assert.match((await p.broker.send(ev("return #redis.call('ZRANDMEMBER', KEYS[1], -100000000, 'withscores')", '1', 'z'))).toString(), /^-ERR ZRANDMEMBER reply too large for a script: 200000000 elements;/);
  // Refused before anything was built: nowhere near the time a 100-million-entry table takes.
  assert.ok(Date.now() - started < 60_000);
  // Bytes count too: one 40 MB member drawn 20 times is 800 MB of strings.
  await p.broker.send(['sadd', 'fat', 'x'.repeat(40 * 1024 * 1024)], 60_000);
  assert.match(
    (await p.broker.send(ev("return #redis.call('SRANDMEMBER', KEYS[1], -20)", '1', 'fat'), 60_000)).toString(),
    /^-ERR SRANDMEMBER reply too large for a script: more than 536870912 bytes of strings;/,
  );
  const other = await RawConn.connect(env.get().broker.port);
  assert.equal((await other.send(['ping'])).toString(), '+PONG\r\n');
  assert.equal((await other.send(['scard', 's'])).toString(), ':3\r\n');
  assert.equal((await other.send(['lrange', 'l', '0', '-1'])).toString(), '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n');
  other.close();
});

test('a script that fills the Lua heap (2 GB) gets Lua\'s memory error; the broker goes on', async () => {
  // Broker alone: redis-server's Lua has no memory limit (it would take what the machine has).
  // About 2 GB of memset: generous timeouts for a busy machine (a safety net, not a goal).
  const p = await env.fresh();
  await p.broker.send(['setrange', 'big', String(60 * 1024 * 1024 - 1), 'x']);
  // 32 MB strings until Lua says no (less than twice that is then free): the 60 MB reply, which
  // needs twice its size on its way in, cannot fit.
  const fill =
    "local pad, ok, i = {}, true, 0 " +
    "while ok do i = i + 1 ok = pcall(function() pad[i] = string.rep('x', 32 * 1024 * 1024 - i) end) end " +
    "return #redis.call('GET', KEYS[1])";
  assert.match((await p.broker.send(ev(fill, '1', 'big'), 600_000)).toString(), /^-ERR .*not enough memory/);
  const other = await RawConn.connect(env.get().broker.port);
  assert.equal((await other.send(['ping'], 60_000)).toString(), '+PONG\r\n');
  assert.equal((await other.send(['strlen', 'big'], 60_000)).toString(), ':62914560\r\n');
  other.close();
  // Scripts run again, on a fresh Lua VM.
  assert.equal((await p.broker.send(ev("return #redis.call('GET', KEYS[1])", '1', 'big'), 300_000)).toString(), ':62914560\r\n');
});

test('XTRIM/XADD MAXLEN ~ with LIMIT remove no more than LIMIT allows', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['xadd', 'x', '1-0', 'a', '1'],
    ['xadd', 'x', '2-0', 'a', '1'],
    ['xadd', 'x', '3-0', 'a', '1'],
    ['xtrim', 'x', 'maxlen', '~', '0', 'limit', '1'],
    ['xlen', 'x'],
    ['xtrim', 'x', 'maxlen', '~', '0', 'limit', '3'],
    ['xlen', 'x'],
    ['xadd', 'y', '1-0', 'a', '1'],
    ['xadd', 'y', '2-0', 'a', '1'],
    ['xadd', 'y', 'maxlen', '~', '0', 'limit', '1', '3-0', 'a', '1'],
    ['xlen', 'y'],
  ]);
});

// ---------------------------------------------------------------------------
// Clients that stop reading

test('client-output-buffer-limit: a subscriber that stops reading is dropped, and its memory goes', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['config', 'get', 'client-output-buffer-limit'],
    ['config', 'set', 'client-output-buffer-limit', 'normal 1 2'],
    ['config', 'set', 'client-output-buffer-limit', 'foo 1 2 3'],
    ['config', 'set', 'client-output-buffer-limit', 'pubsub x 0 0'],
    ['config', 'set', 'client-output-buffer-limit', 'pubsub 1mb 0 0'],
    ['config', 'get', 'client-output-buffer-limit'],
  ]);
  try {
    const subs: net.Socket[] = [];
    const closed: Promise<void>[] = [];
    for (const port of [env.get().redis.port, env.get().broker.port]) {
      const sock = net.connect(port, '127.0.0.1');
      sock.on('error', () => {});
      closed.push(new Promise((resolve) => sock.once('close', () => resolve())));
      sock.write('SUBSCRIBE news\r\n');
      sock.once('data', () => sock.pause()); // the confirmation, then it stops reading
      subs.push(sock);
    }
    await sleep(200);
    await runCases(p, [['pubsub', 'numsub', 'news']]);
    const message = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 200; i++) {
      await both(p, ['publish', 'news', message]);
      if (i % 20 === 19) await sleep(20);
    }
    await Promise.race([Promise.all(closed), sleep(10000)]);
    await runCases(p, [['pubsub', 'numsub', 'news']]);
    assert.ok(logs.some((l) => /scheduled to be closed ASAP for overcoming of output buffer limits/.test(l)), logs.join('\n'));
    for (const s of subs) s.destroy();
    // The dropped client's buffer is gone from INFO memory.
    await sleep(300);
    const mem = await infoField(p, 'memory', 'mem_clients_normal');
    assert.ok(mem.broker !== '' && Number(mem.broker) < 1024 * 1024, `mem_clients_normal ${mem.broker}`);
  } finally {
    await both(p, ['config', 'set', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60']);
  }
});

test('a subscriber that stops reading: its waiting output shows in CLIENT LIST (omem, tot-mem, events) and INFO memory', async () => {
  const p = await env.fresh();
  const subs: net.Socket[] = [];
  try {
    for (const port of [env.get().redis.port, env.get().broker.port]) {
      const sock = net.connect(port, '127.0.0.1');
      sock.on('error', () => {});
      sock.write('CLIENT SETNAME stalled\r\nSUBSCRIBE news\r\n');
      sock.on('data', () => sock.pause()); // the confirmations, then it stops reading
      subs.push(sock);
    }
    await sleep(200);
    // 20 MB: under the pubsub hard limit (32 MB) even if the kernel took none of it, more than
    // loopback socket buffers hold, so some of it waits in the server.
    const message = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 200; i++) {
      await both(p, ['publish', 'news', message]);
      if (i % 20 === 19) await sleep(20);
    }
    await sleep(300);
    const list = await both(p, ['client', 'list']);
    const field = (b: Buffer, name: string) => {
      const line = (decode(b)[0] as string).split('\n').find((l) => / name=stalled /.test(l)) ?? '';
      return new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? '';
    };
    for (const server of ['redis', 'broker'] as const) {
      const omem = Number(field(list[server], 'omem'));
      const tot = Number(field(list[server], 'tot-mem'));
      assert.ok(omem > 1024 * 1024, `${server}: omem=${omem}`);
      assert.ok(tot > omem, `${server}: tot-mem=${tot}, omem=${omem}`);
      assert.equal(field(list[server], 'events'), 'rw', server);
      assert.equal(field(list[server], 'sub'), '1', server);
    }
    const mem = await infoField(p, 'memory', 'mem_clients_normal');
    for (const server of ['redis', 'broker'] as const) {
      assert.ok(Number(mem[server]) > Number(field(list[server], 'omem')) / 2, `${server}: mem_clients_normal ${mem[server]}`);
    }
    // Still subscribed on both: under the hard limit, and not for 60 s over the soft one.
    await runCases(p, [['pubsub', 'numsub', 'news']]);
  } finally {
    for (const s of subs) s.destroy();
  }
});

// ---------------------------------------------------------------------------
// Cross-protocol requests, protocol errors

/** Raw bytes on a fresh connection to each server: what it sent back before closing, and whether it closed. */
async function rawBoth(data: string, waitMs = 500): Promise<{ redis: string; broker: string }> {
  const out: string[] = [];
  for (const port of [env.get().redis.port, env.get().broker.port]) {
    const c = await RawConn.connect(port);
    c.write(data);
    const got = (await c.readUntilClose(waitMs)).toString('latin1');
    out.push(`${got} closed=${c.closed}`);
    c.close();
  }
  return { redis: out[0]!, broker: out[1]! };
}

test('an HTTP request to the broker\'s port is dropped with a security warning, its body never runs', async () => {
  const p = await env.fresh();
  logs.length = 0;
  for (const req of [
    'POST /submit HTTP/1.1\r\nContent-Type: text/plain\r\n\r\nSET pwned 1\r\n',
    'GET / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\n\r\nSET pwned 1\r\n',
    'PUT / HTTP/1.1\r\nhost: x\r\n\r\nSET pwned 1\r\n',
  ]) {
    const r = await rawBoth(req);
    assert.equal(r.broker, r.redis, req);
  }
  await runCases(p, [['exists', 'pwned']]);
  assert.ok(logs.some((l) => l.startsWith('Possible SECURITY ATTACK detected.')), logs.join('\n'));
});

test('after a protocol error the connection closes at once, both ways', async () => {
  for (const port of [env.get().redis.port, env.get().broker.port]) {
    const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    const closed = new Promise<boolean>((resolve) => {
      sock.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    sock.write('*x\r\n');
    // The client keeps writing, as a careless one would.
    const writer = setInterval(() => sock.writable && sock.write('PING\r\n'), 10);
    const wasClosed = await closed;
    clearInterval(writer);
    sock.destroy();
    assert.equal(got, "-ERR Protocol error: invalid multibulk length\r\n", `port ${port}`);
    assert.ok(wasClosed, `the server on port ${port} kept the connection open`);
  }
});

// ---------------------------------------------------------------------------
// Replies that differed from Redis

test('SHUTDOWN and SAVE inside MULTI are refused and the transaction aborts', async () => {
  const p = await env.fresh();
  await runCases(p, [['multi'], ['set', 'k', '1'], ['save'], ['shutdown'], ['exec'], ['get', 'k'], ['ping']]);
});

async function pipelined(lines: string[]): Promise<{ redis: string; broker: string }> {
  const out: string[] = [];
  for (const port of [env.get().redis.port, env.get().broker.port]) {
    const c = await RawConn.connect(port);
    c.write(lines.map((l) => l + '\r\n').join(''));
    out.push((await c.readUntilClose(400)).toString('latin1'));
    c.close();
  }
  return { redis: out[0]!, broker: out[1]! };
}

test('CLIENT REPLY: subscription confirmations still arrive, ON after SKIP is answered', async () => {
  for (const lines of [
    ['CLIENT REPLY OFF', 'SUBSCRIBE a b', 'PING', 'UNSUBSCRIBE a', 'PSUBSCRIBE p*', 'PUNSUBSCRIBE'],
    ['CLIENT REPLY SKIP', 'CLIENT REPLY ON', 'PING'],
    ['CLIENT REPLY SKIP', 'SUBSCRIBE x', 'PING'],
    ['CLIENT REPLY OFF', 'SET a 1', 'CLIENT REPLY SKIP', 'GET a', 'CLIENT REPLY ON', 'GET a'],
  ]) {
    const r = await pipelined(lines);
    assert.equal(JSON.stringify(r.broker), JSON.stringify(r.redis), lines.join(' | '));
  }
});

test('INFO tells the truth: errorstats, commandstats, rss and peak', async () => {
  const p = await env.fresh();
  await both(p, ['config', 'resetstat']);
  await runCases(p, [['get'], ['nosuchcommand'], ['set', 'a', 'x'], ['incr', 'a'], ['incr', 'a'], ['wrongtype-probe'], ['lpush', 'a', 'x']]);
  const err = await both(p, ['info', 'errorstats']);
  assert.equal(show(err.broker), show(err.redis));
  const stats = await both(p, ['info', 'commandstats']);
  const lines = (b: Buffer) =>
    (decode(b)[0] as string)
      .split('\r\n')
      .filter((l) => /^cmdstat_(get|set|incr|lpush):/.test(l))
      .map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+/, 'usec=*'))
      .sort();
  assert.deepEqual(lines(stats.broker), lines(stats.redis));
  const usec = /cmdstat_set:calls=1,usec=(\d+)/.exec(decode(stats.broker)[0] as string);
  assert.ok(usec && Number(usec[1]) > 0, 'usec is measured');
  const used = Number((await infoField(p, 'memory', 'used_memory')).broker);
  const rss = Number((await infoField(p, 'memory', 'used_memory_rss')).broker);
  const peak = Number((await infoField(p, 'memory', 'used_memory_peak')).broker);
  assert.ok(rss > 10 * 1024 * 1024 && rss !== used, `used_memory_rss ${rss} is the process's`);
  assert.ok(peak >= used, `used_memory_peak ${peak} >= used_memory ${used}`);
});

// ---------------------------------------------------------------------------
// Protected mode, passwords

/** An address of this machine that is not loopback (protected mode's case), if there is one. */
async function externalAddress(): Promise<string | null> {
  const os = await import('node:os');
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  }
  return null;
}

test('protected mode: without a password, clients from beyond loopback get DENIED as from Redis', async (t) => {
  const addr = await externalAddress();
  if (!addr) return t.skip('this machine has no non-loopback address');
  const { startRedis } = await import('./harness.ts');
  const { createBroker } = await import('../../broker/server.ts');
  const redis = await startRedis(['--bind', '0.0.0.0']);
  const broker = await createBroker({ port: 0, host: '0.0.0.0' });
  const open = await createBroker({ port: 0, host: '0.0.0.0', protectedMode: false });
  const withPassword = await createBroker({ port: 0, host: '0.0.0.0', password: 'pw' });
  try {
    const ask = (port: number) =>
      new Promise<string>((resolve) => {
        const s = net.connect(port, addr);
        let out = '';
        s.on('data', (d) => (out += d.toString('latin1')));
        s.on('error', () => {});
        s.on('close', () => resolve(out));
        s.write('PING\r\n');
        setTimeout(() => s.destroy(), 1000);
      });
    const r = await ask(redis.port);
    assert.match(r, /^-DENIED Redis is running in protected mode/);
    assert.equal(await ask(broker.port), r);
    assert.equal(await ask(open.port), '+PONG\r\n');
    assert.match(await ask(withPassword.port), /^-NOAUTH/);
    // Loopback clients are served.
    const c = await RawConn.connect(broker.port);
    assert.equal((await c.send(['ping'])).toString(), '+PONG\r\n');
    c.close();
  } finally {
    await Promise.all([broker.close(), open.close(), withPassword.close(), redis.stop()]);
  }
});

test('AUTH compares passwords in constant time and answers as Redis', async () => {
  const { createBroker } = await import('../../broker/server.ts');
  const { startRedis } = await import('./harness.ts');
  const redis = await startRedis(['--requirepass', 'correct horse']);
  const broker = await createBroker({ port: 0, password: 'correct horse' });
  try {
    const p = { redis: await RawConn.connect(redis.port), broker: await RawConn.connect(broker.port) };
    await runCases(p, [['get', 'k'], ['auth', 'correct'], ['auth', 'correct horse!'], ['auth', 'default', 'nope'], ['auth', 'correct horse'], ['ping']]);
    p.redis.close();
    p.broker.close();
    const src = (await import('node:fs')).readFileSync(new URL('../../broker/commands/server.ts', import.meta.url), 'utf8');
    assert.match(src, /timingSafeEqual/);
    assert.doesNotMatch(src, /=== required|pass === /);
  } finally {
    await Promise.all([broker.close(), redis.stop()]);
  }
});

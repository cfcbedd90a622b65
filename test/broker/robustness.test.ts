// Robustness: garbage input, truncated frames, absurd lengths, deep pipelines,
// many clients. The server must answer like Redis where Redis answers, never
// crash, and keep serving everybody else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Differential, RawConn, decode, encodeCommand, show } from './harness.ts';
import { COMMANDS_PER_TURN } from '../../broker/server.ts';

let d: Differential;
let control: RawConn;

before(async () => {
  d = await Differential.start();
  control = await RawConn.connect(d.broker.port);
});

after(async () => {
  control.close();
  await d.stop();
});

async function stillAlive(): Promise<void> {
  assert.equal((await control.send(['ping'])).toString(), '+PONG\r\n');
}

/** Send raw bytes on a fresh connection to both servers; return what each sent back before closing. */
async function rawBoth(data: Buffer | string, waitMs = 150): Promise<{ redis: string; broker: string }> {
  const out: string[] = [];
  for (const port of [d.redis.port, d.broker.port]) {
    const c = await RawConn.connect(port);
    c.write(data);
    out.push((await c.readUntilClose(waitMs)).toString('latin1'));
    c.close();
  }
  return { redis: out[0]!, broker: out[1]! };
}

test('protocol errors, truncated frames and absurd lengths answer like Redis', async () => {
  const cases = [
    '*x\r\n',
    '*1\r\n+foo\r\n',
    '*1\r\n$-1\r\n',
    '*1\r\n$999999999999\r\n',
    '*3000000000\r\n',
    '*1\r\n$01\r\n',
    '*1\r\n$4\r\nPI',
    '*2\r\n$3\r\nGET\r\n',
    '*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n',
    '*1\r\n$4\r\nPING\r\n\r\n*1\r\n$4\r\nPING\r\n',
    'PING\r\nping\nECHO "a\\x41"\r\n',
    'ping "a"b\r\n',
    "echo 'a\r\n",
    ' \r\n',
    '*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n',
    '*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n',
    '*2147483647\r\n',
    '*1\r\n$2147483647\r\n',
  ];
  for (const c of cases) {
    const r = await rawBoth(c);
    assert.equal(JSON.stringify(r.broker), JSON.stringify(r.redis), `input ${JSON.stringify(c)}`);
  }
  const big = await rawBoth('x'.repeat(70000));
  assert.equal(big.broker, big.redis);
  await stillAlive();
});

test('random bytes never crash the server', async () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const pieces = ['*', '$', '\r\n', '\r', '\n', '-1', '0', '3', '999999', 'PING', 'SET', 'EVAL', ' ', '"', "'", '\\x'];
  for (let i = 0; i < 150; i++) {
    const parts: Buffer[] = [];
    const n = 1 + (rand() % 40);
    for (let j = 0; j < n; j++) {
      if (rand() % 2) parts.push(Buffer.from(pieces[rand() % pieces.length]!));
      else parts.push(Buffer.from([rand() % 256, rand() % 256]));
    }
    const sock = net.connect(d.broker.port, '127.0.0.1');
    sock.on('error', () => {});
    sock.on('data', () => {});
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(Buffer.concat(parts));
    if (i % 3 === 0) sock.destroy();
    else setTimeout(() => sock.destroy(), 5);
  }
  await new Promise((r) => setTimeout(r, 100));
  await stillAlive();
  const info = decode(await control.send(['info', 'clients']))[0] as string;
  assert.match(info, /connected_clients:\d+/);
});

test('10,000 pipelined commands come back in order', async () => {
  const c = await RawConn.connect(d.broker.port);
  const bufs: Buffer[] = [];
  for (let i = 0; i < 10000; i++) bufs.push(encodeCommand(i % 2 ? ['incr', 'pipe'] : ['echo', `m${i}`]));
  const replies: Promise<Buffer>[] = [];
  for (let i = 0; i < 10000; i++) replies.push(c.read(20000));
  c.write(Buffer.concat(bufs));
  const all = await Promise.all(replies);
  for (let i = 0; i < 10000; i++) {
    const expect = i % 2 ? `:${(i + 1) / 2}\r\n` : `$${`m${i}`.length}\r\nm${i}\r\n`;
    assert.equal(all[i]!.toString(), expect, `reply ${i}`);
  }
  c.close();
  await stillAlive();
});

test("another client's PING is answered while a 300,000-command pipeline is being run, as in Redis", async () => {
  const N = 300_000;
  const one = encodeCommand(['incr', 'turns']);
  const pipeline = Buffer.concat(Array.from({ length: N }, () => one));
  for (const [server, port] of [['redis-server', d.redis.port], ['broker', d.broker.port]] as const) {
    const reset = await RawConn.connect(port);
    await reset.send(['del', 'turns']);
    reset.close();
    const heavy = net.connect(port, '127.0.0.1');
    heavy.on('error', () => {});
    const connected = new Promise((r) => heavy.once('connect', r));
    const pinger = await RawConn.connect(port);
    // Replies of the pipeline received so far (each is ":<n>\r\n", so count the newlines).
    let replies = 0;
    let atPong = -1;
    let pong: Promise<void> | null = null;
    const allIn = new Promise<void>((resolve) => {
      heavy.on('data', (chunk: Buffer) => {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) replies++;
        // The pipeline is being run: now the other client asks.
        pong ??= pinger.send(['ping'], 60_000).then((r) => {
          atPong = replies;
          assert.equal(r.toString(), '+PONG\r\n');
        });
        if (replies >= N) resolve();
      });
    });
    await connected;
    heavy.write(pipeline);
    await allIn;
    await pong;
    // Every command of the pipeline ran, once.
    assert.equal((await pinger.send(['get', 'turns'])).toString(), `$${String(N).length}\r\n${N}\r\n`);
    heavy.destroy();
    pinger.close();
    // Redis reads 16 KB of a client's input per event, then serves the others: how far its
    // pipeline got meanwhile depends only on how quickly this process sent the PING. The broker
    // runs COMMANDS_PER_TURN of a client's commands per turn of its event loop (in this
    // process: the PING goes out between two turns), so the PONG comes within a few turns,
    // not after the megabytes libuv may hand over in one read event (before: ~19,000 replies).
    if (server === 'broker') {
      assert.ok(atPong < 10 * COMMANDS_PER_TURN, `broker: ${atPong} of the pipeline's ${N} replies came before the PONG`);
    }
  }
  await stillAlive();
});

test('unknown commands and wrong arity in bulk, and a 10 MB value', async () => {
  const c = await RawConn.connect(d.broker.port);
  for (let i = 0; i < 200; i++) {
    const r = await c.send(i % 2 ? ['nosuch', String(i)] : ['get']);
    assert.match(r.toString(), /^-ERR (unknown command|wrong number)/);
  }
  const big = Buffer.alloc(10 * 1024 * 1024, 0x5a);
  big[12345] = 0;
  assert.equal((await c.send(['set', 'big', big], 20000)).toString(), '+OK\r\n');
  const back = await c.send(['get', 'big'], 20000);
  assert.equal(back.length, big.length + `$${big.length}\r\n`.length + 2);
  assert.ok(back.subarray(back.indexOf('\r\n') + 2, back.length - 2).equals(big));
  assert.equal((await c.send(['del', 'big'])).toString(), ':1\r\n');
  c.close();
});

test('many clients at once, one of them misbehaving', async () => {
  const clients = await Promise.all(Array.from({ length: 100 }, () => RawConn.connect(d.broker.port)));
  const bad = net.connect(d.broker.port, '127.0.0.1');
  bad.on('error', () => {});
  bad.on('data', () => {});
  bad.write('*1\r\n$100\r\nPARTIAL');
  const results = await Promise.all(clients.map((c, i) => c.send(['incrby', 'shared', String(i)])));
  assert.equal(results.length, 100);
  const total = await control.send(['get', 'shared']);
  assert.equal(show(total), show(Buffer.from(`$4\r\n${(99 * 100) / 2}\r\n`)));
  for (const c of clients) c.close();
  bad.destroy();
  await stillAlive();
});

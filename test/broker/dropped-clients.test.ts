// Clients that vanish mid-conversation: blocked in BLPOP, half-way through MULTI, subscribed.
// Both servers must carry on as if nothing happened for everyone else, lose nothing that was
// written, and (the broker) give back what the departed clients held.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn, encodeCommand, same, show, useDifferential, type Pair } from './harness.ts';

const diff = useDifferential({ before, after });

/** The same connection-level action on both servers. */
async function onBoth(p: Pair, act: (c: RawConn) => void | Promise<void>): Promise<void> {
  await Promise.all([act(p.redis), act(p.broker)]);
}

async function connectedClients(c: RawConn): Promise<number> {
  const info = (await c.send(['INFO', 'clients'])).toString();
  return Number(/connected_clients:(\d+)/.exec(info)?.[1]);
}

async function brokerUsedMemory(c: RawConn): Promise<number> {
  const info = (await c.send(['INFO', 'memory'])).toString();
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

const settle = () => new Promise((r) => setTimeout(r, 200));

test('a client that leaves while blocked in BLPOP takes nothing with it', async () => {
  const observer = await diff.fresh();
  const blocked = await diff.fresh();
  await onBoth(blocked, (c) => c.write(encodeCommand(['BLPOP', 'jobs', '0'])));
  await settle();
  await onBoth(blocked, (c) => c.close());
  await settle();
  // The push that would have woken it lands in the list for the next taker.
  await same(observer, ['RPUSH', 'jobs', 'a']);
  await same(observer, ['LRANGE', 'jobs', '0', '-1']);
  await same(observer, ['BLPOP', 'jobs', '1']);
});

test('a client that blocks in BLPOP at the end of a long pipeline, then leaves, takes nothing with it', async () => {
  const observer = await diff.fresh();
  const blocked = await diff.fresh();
  // 2,000 commands first: the broker runs them over several turns, pausing the socket between
  // them. 20,000 more wait behind the BLPOP: the client must still be read once it blocks (as
  // Redis keeps filling a blocked client's query buffer), or its leaving goes unnoticed.
  const pings = (n: number) => Buffer.concat(Array.from({ length: n }, () => encodeCommand(['PING'])));
  await onBoth(blocked, (c) => c.write(Buffer.concat([pings(2000), encodeCommand(['BLPOP', 'jobs', '0']), pings(20_000)])));
  await settle();
  await onBoth(blocked, (c) => c.close());
  await settle();
  await same(observer, ['RPUSH', 'jobs', 'a']);
  await same(observer, ['LRANGE', 'jobs', '0', '-1']);
  await same(observer, ['BLPOP', 'jobs', '1']);
});

test('a client that leaves half-way through MULTI leaves no trace of its queued writes', async () => {
  const observer = await diff.fresh();
  const tx = await diff.fresh();
  for (const cmd of [['MULTI'], ['SET', 'k', 'from-tx'], ['INCR', 'counter']]) await same(tx, cmd);
  await onBoth(tx, (c) => c.close());
  await settle();
  await same(observer, ['GET', 'k']);
  await same(observer, ['EXISTS', 'counter']);
  // A WATCH of the departed client does not affect anyone else's transaction.
  await same(observer, ['MULTI']);
  await same(observer, ['SET', 'k', 'mine']);
  await same(observer, ['EXEC']);
  await same(observer, ['GET', 'k']);
});

test('after many clients come and go (blocked, mid-transaction, subscribed), counts and memory return to the baseline', async () => {
  const observer = await diff.fresh();
  const baselineClients = { redis: await connectedClients(observer.redis), broker: await connectedClients(observer.broker) };
  await same(observer, ['SET', 'keep', 'me']);
  const baselineMemory = await brokerUsedMemory(observer.broker);
  const leavers: Pair[] = [];
  for (let i = 0; i < 30; i++) {
    const p = await diff.get().pair(); // pair(), not fresh(): no FLUSHALL under the observer's feet
    leavers.push(p);
    const kind = i % 3;
    await onBoth(p, async (c) => {
      if (kind === 0) c.write(encodeCommand(['BLPOP', `q${i}`, '0']));
      else if (kind === 1) {
        await c.send(['MULTI']);
        await c.send(['SET', `tx${i}`, 'x'.repeat(10_000)]);
      } else c.write(encodeCommand(['SUBSCRIBE', `ch${i}`]));
    });
  }
  await settle();
  for (const p of leavers) await onBoth(p, (c) => c.close());
  await settle();
  assert.equal(await connectedClients(observer.redis), baselineClients.redis);
  assert.equal(await connectedClients(observer.broker), baselineClients.broker, 'the broker counts only the clients still here');
  await same(observer, ['PUBSUB', 'NUMSUB', 'ch2', 'ch5']);
  await same(observer, ['DBSIZE']);
  assert.equal(show(await observer.broker.send(['GET', 'keep'])), show(await observer.redis.send(['GET', 'keep'])));
  assert.equal(await brokerUsedMemory(observer.broker), baselineMemory, 'the broker gives back what departed clients held');
});

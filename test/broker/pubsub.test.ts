// Differential tests: Pub/Sub, comparing both the replies and the pushed messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { both, runCases, show, sorted, useDifferential, type Pair } from './harness.ts';

const env = useDifferential({ before, after });

async function pushes(p: Pair, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [r, b] = await Promise.all([p.redis.read(), p.broker.read()]);
    assert.equal(show(b), show(r), `push #${i}`);
  }
}

test('SUBSCRIBE, PUBLISH, UNSUBSCRIBE and the subscribed-mode restrictions', async () => {
  const sub = await env.fresh();
  const pub = await env.get().pair();
  await runCases(sub, [['subscribe', 'ch1', 'ch2', 'ch1']]);
  await pushes(sub, 2);
  await runCases(sub, [['get', 'x'], ['ping'], ['ping', 'hi'], ['psubscribe', 'news.*', 'n?ws']]);
  await pushes(sub, 1);
  await runCases(pub, [['publish', 'ch1', 'hello'], ['publish', 'news.tech', Buffer.from([0, 255, 10])], ['publish', 'nobody', 'x'], ['publish', 'news', 'both patterns']]);
  await pushes(sub, 3);
  await runCases(pub, [{ cmd: ['pubsub', 'channels'], norm: sorted }, ['pubsub', 'channels', 'ch1'], ['pubsub', 'numsub', 'ch1', 'ch2', 'nope'], ['pubsub', 'numpat'], ['pubsub', 'foo']]);
  await runCases(sub, [['unsubscribe', 'ch1', 'nope']]);
  await pushes(sub, 1);
  await runCases(sub, [['punsubscribe']]);
  await pushes(sub, 1);
  await runCases(sub, [['unsubscribe']]);
  await runCases(sub, [['get', 'x'], ['unsubscribe'], ['punsubscribe']]);
});

test('RESET leaves subscribed mode, QUIT closes', async () => {
  const sub = await env.fresh();
  await runCases(sub, [['subscribe', 'a'], ['reset'], ['get', 'x'], ['select', '2'], ['reset'], ['quit']]);
  const r = await both(sub, ['ping']).catch((e: Error) => e);
  assert.ok(r instanceof Error);
});

test('keyspace notifications (notify-keyspace-events)', async () => {
  const sub = await env.fresh();
  const cli = await env.get().pair();
  await runCases(cli, [
    ['config', 'set', 'notify-keyspace-events', 'xyzq'],
    ['config', 'set', 'notify-keyspace-events', 'KEA'],
    ['config', 'get', 'notify-keyspace-events'],
  ]);
  await runCases(sub, [['psubscribe', '__key*__:*'], ['subscribe', 'sentinel']]);
  const cmds = [
    ['set', 'k', 'v'],
    ['incr', 'n'],
    ['decr', 'n'],
    ['append', 'k', 'x'],
    ['expire', 'k', '100'],
    ['persist', 'k'],
    ['rename', 'k', 'k2'],
    ['del', 'k2', 'nokey'],
    ['lpush', 'l', 'a', 'b'],
    ['rpop', 'l'],
    ['lmove', 'l', 'l2', 'left', 'right'],
    ['hset', 'h', 'f', 'v'],
    ['hincrby', 'h', 'n', '1'],
    ['hdel', 'h', 'f', 'n'],
    ['sadd', 's', 'a'],
    ['sinterstore', 'd', 's', 's'],
    ['zadd', 'z', '1', 'a'],
    ['zincrby', 'z', '1', 'a'],
    ['zunionstore', 'zu', '1', 'z'],
    ['zpopmin', 'z'],
    ['xadd', 'x', '1-1', 'f', 'v'],
    ['set', 'e', 'v', 'px', '1'],
    ['copy', 'zu', 'zc'],
  ];
  for (const c of cmds) await both(cli, c);
  await new Promise((r) => setTimeout(r, 20));
  await runCases(cli, [['get', 'e'], ['publish', 'sentinel', 'done'], ['config', 'set', 'notify-keyspace-events', '']]);
  for (;;) {
    const [r, b] = await Promise.all([sub.redis.read(), sub.broker.read()]);
    assert.equal(show(b), show(r));
    if (r.toString().includes('sentinel')) break;
  }
});

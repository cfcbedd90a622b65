// Published messages and MONITOR lines are copied into page-mapped slabs (broker/resp/frames.ts)
// so that what stalled subscribers held goes back to the system once they are dropped. The
// slabs must not cost a byte of correctness: every subscriber gets exactly what was published.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createBroker, type Broker } from '../../broker/server.ts';
import { sharedFrame } from '../../broker/resp/frames.ts';
import { encodeCommand } from './harness.ts';

let broker: Broker;
before(async () => {
  broker = await createBroker({ port: 0 });
});
after(() => broker.close());

/** Every byte value, `n` bytes long, starting at `seed`: a binary message. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 7) & 0xff;
  return b;
}

function messageFrame(channel: string, payload: Buffer): Buffer {
  const head = `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${payload.length}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload, Buffer.from('\r\n')]);
}

test('subscribers receive byte for byte what was published, across many slabs and with messages bigger than a slab', async () => {
  // 1 KiB to 300 KiB messages: ~3 MB in all, so the frames fill many 256 KiB slabs, end at
  // every offset of them, and some get an ArrayBuffer of their own.
  const sizes = [1, 1024, 4095, 70_000, 65_537, 300_000, ...Array.from({ length: 2000 }, (_, i) => 1 + ((i * 977) % 1500))];
  const payloads = sizes.map((n, i) => bytes(n, i));
  const expected = Buffer.concat(payloads.map((p) => messageFrame('bin', p)));
  const subs = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<{ s: net.Socket; got: Buffer[] }>((resolve) => {
          const s = net.connect(broker.port, '127.0.0.1');
          const got: Buffer[] = [];
          let confirmed = false;
          s.on('data', (d: Buffer) => {
            if (!confirmed) {
              confirmed = true;
              const confirmation = '*3\r\n$9\r\nsubscribe\r\n$3\r\nbin\r\n:1\r\n';
              assert.equal(d.subarray(0, confirmation.length).toString('latin1'), confirmation);
              got.push(d.subarray(confirmation.length));
              resolve({ s, got });
            } else got.push(d);
          });
          s.write(encodeCommand(['SUBSCRIBE', 'bin']));
        }),
    ),
  );
  const pub = net.connect(broker.port, '127.0.0.1');
  let replies = '';
  const answered = new Promise<void>((resolve) =>
    pub.on('data', (d: Buffer) => {
      replies += d.toString('latin1');
      if (replies.split('\r\n').length - 1 >= payloads.length) resolve();
    }),
  );
  for (const p of payloads) pub.write(encodeCommand(['PUBLISH', 'bin', p]));
  await answered;
  assert.equal(replies, ':2\r\n'.repeat(payloads.length));
  for (const { s, got } of subs) {
    while (Buffer.concat(got).length < expected.length) await new Promise((r) => s.once('data', r));
    assert.ok(Buffer.concat(got).equals(expected), 'a subscriber received other bytes than were published');
    s.destroy();
  }
  pub.destroy();
});

test('shared frames live in page-mapped (resizable) ArrayBuffers, not in Node\'s malloc\'d Buffer pool', () => {
  const small = sharedFrame('*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n');
  const pooled = Buffer.from('hi');
  assert.equal(small.toString('latin1'), '*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n');
  assert.notEqual(small.buffer, pooled.buffer);
  assert.equal((small.buffer as ArrayBuffer & { resizable: boolean }).resizable, true);
  // A frame bigger than a quarter slab has its own ArrayBuffer, exactly its size: nothing else pins it.
  const big = sharedFrame('\xff'.repeat(100_000));
  assert.equal(big.buffer.byteLength, 100_000);
  assert.equal(big.byteOffset, 0);
  assert.equal((big.buffer as ArrayBuffer & { resizable: boolean }).resizable, true);
  assert.ok(big.every((b) => b === 0xff));
});

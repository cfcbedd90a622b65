// Differential test: MONITOR lines (timestamps and client ports normalized), several monitors,
// and monitors that stop reading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { RawConn, both, encodeCommand, useDifferential, type Pair } from './harness.ts';

const env = useDifferential({ before, after });

test('MONITOR shows commands like Redis, with Lua ones as [db lua]', async () => {
  const mon = await env.fresh();
  const cli = await env.get().pair();
  await both(mon, ['monitor']);
  const cmds: (string | Buffer)[][] = [
    ['set', 'k', Buffer.from('a b"\\\n\x01\xff\x7f', 'latin1')],
    ['eval', "redis.call('set','x','1') return redis.call('get','x')", '0'],
    ['get', 'k'],
    ['select', '3'],
    ['get', 'k'],
    ['config', 'get', 'port'],
    ['client', 'list'],
    ['multi'],
    ['get', 'a'],
    ['exec'],
    ['evalsha', 'ffff', '0'],
    ['foo'],
    ['get'],
    ['auth', 'x'],
    ['hello', '2'],
    ['client', 'setname', 'zz'],
    ['script', 'load', 'return 1'],
    ['ping'],
    ['echo', 'done'],
  ];
  for (const c of cmds) await both(cli, c);
  const lines: string[][] = [];
  for (const conn of [mon.redis, mon.broker]) {
    const out: string[] = [];
    for (;;) {
      const l = (await conn.read()).toString('latin1');
      out.push(l.replace(/^\+\d+\.\d{6} /, '+TS ').replace(/127\.0\.0\.1:\d+/, 'ADDR'));
      if (l.includes('"echo" "done"')) break;
    }
    lines.push(out);
  }
  assert.deepEqual(lines[1], lines[0]);
});

/** MONITOR lines a connection receives until the one for `ECHO <marker>`. */
async function linesUntil(conn: RawConn, marker: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const l = (await conn.read()).toString('latin1');
    out.push(l);
    if (l.includes(`"echo" "${marker}"`)) return out;
  }
}

test('several MONITOR clients see the same lines, byte for byte', async () => {
  const cli = await env.fresh();
  const mons = [await env.get().pair(), await env.get().pair(), await env.get().pair()];
  for (const m of mons) await both(m, ['monitor']);
  for (const c of [['set', 'k', 'v'], ['incr', 'n'], ['eval', "return redis.call('get', KEYS[1])", '1', 'k'], ['echo', 'end']]) await both(cli, c);
  const seen: Record<'redis' | 'broker', string[][]> = { redis: [], broker: [] };
  for (const side of ['redis', 'broker'] as const) {
    for (const m of mons) seen[side].push(await linesUntil(m[side], 'end'));
  }
  for (const side of ['redis', 'broker'] as const) {
    // Timestamps included: one line, made once, for every monitor.
    assert.equal(seen[side][0]!.length, 5, `${side}: ${seen[side][0]}`);
    assert.deepEqual(seen[side][1], seen[side][0], side);
    assert.deepEqual(seen[side][2], seen[side][0], side);
  }
  const norm = (ls: string[]) => ls.map((l) => l.replace(/^\+\d+\.\d{6} /, '+TS ').replace(/127\.0\.0\.1:\d+/, 'ADDR'));
  assert.deepEqual(norm(seen.broker[0]!), norm(seen.redis[0]!));
  for (const m of mons) for (const side of ['redis', 'broker'] as const) m[side].close();
});

/** both(), with room for a machine under heavy load (100 KB commands fanned out to monitors). */
const bothSlow = async (p: Pair, args: string[]) => {
  const [redis, broker] = await Promise.all([p.redis.send(args, 60_000), p.broker.send(args, 60_000)]);
  return { redis, broker };
};

test('a MONITOR client that stops reading is dropped by the output buffer limit; the others keep theirs', async () => {
  const cli = await env.fresh();
  await both(cli, ['config', 'set', 'client-output-buffer-limit', 'normal 1mb 0 0']);
  /** A raw MONITOR connection on each server: one that counts its lines as they come, one that never reads. */
  const monitor = (port: number, name: string) =>
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write(Buffer.concat([encodeCommand(['client', 'setname', name]), encodeCommand(['monitor'])]));
        resolve(s);
      });
      s.once('error', reject);
    });
  const ports = [env.get().redis.port, env.get().broker.port];
  const readers = await Promise.all(ports.map((port) => monitor(port, 'reader')));
  const stalled = await Promise.all(ports.map((port) => monitor(port, 'stalled')));
  try {
    for (const s of stalled) s.pause();
    // Lines counted by their ends (a value of x's has none), until the ECHO that closes the run.
    const counted = readers.map(
      (s) =>
        new Promise<number>((resolve) => {
          let lines = 0;
          let tail = '';
          s.on('data', (d: Buffer) => {
            for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
            tail = (tail + d.toString('latin1', Math.max(0, d.length - 64))).slice(-64);
            if (tail.includes('"echo" "end"')) resolve(lines);
          });
        }),
    );
    await new Promise((r) => setTimeout(r, 200));
    // 30 MB of MONITOR lines: past what the kernel's socket buffers take, and far past 1 MB.
    const value = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 300; i++) await bothSlow(cli, ['set', `k${i}`, value]);
    await bothSlow(cli, ['echo', 'end']);
    // The reading monitors saw every line (their own two +OK, the stalled client's CLIENT SETNAME,
    // 300 SETs, the ECHO); the stalled ones are gone, on both servers.
    assert.deepEqual(await Promise.all(counted), [304, 304]);
    const list = await both(cli, ['client', 'list']);
    for (const side of ['redis', 'broker'] as const) {
      assert.match(list[side].toString(), / name=reader /, side);
      assert.doesNotMatch(list[side].toString(), / name=stalled /, side);
    }
  } finally {
    for (const s of [...readers, ...stalled]) s.destroy();
    await both(cli, ['config', 'set', 'client-output-buffer-limit', 'normal 0 0 0']);
  }
});

test('MONITOR clients that stop reading hold one copy of each line between them (broker)', async () => {
  // The broker runs in this process: its Buffers show in process.memoryUsage().arrayBuffers,
  // measured after a full GC so that Buffers already dropped (commands sent and read) do not count.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const buffers = () => {
    gc();
    return process.memoryUsage().arrayBuffers;
  };
  /**
   * Buffers once they hold still, and the least seen meanwhile: what earlier tests left
   * (connections closing, keys flushed) takes a moment to go, and V8 sweeps freed
   * ArrayBuffers after a collection, so one reading can still count some of them.
   */
  const settled = async () => {
    let last = buffers();
    let least = last;
    for (let i = 0, still = 0; i < 50 && still < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = buffers();
      still = Math.abs(now - last) < 512 * 1024 ? still + 1 : 0;
      last = now;
      least = Math.min(least, now);
    }
    return least;
  };
  const cli = await env.fresh();
  // The earlier test's monitors gone from the broker first: their queues are not this test's.
  for (let i = 0; i < 100 && / name=(reader|stalled) /.test((await cli.broker.send(['client', 'list'])).toString()); i++) await new Promise((r) => setTimeout(r, 100));
  const stalled = await Promise.all(
    Array.from(
      { length: 5 },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(env.get().broker.port, '127.0.0.1', () => {
            s.write(encodeCommand(['monitor']));
            resolve(s);
          });
          s.once('error', reject);
        }),
    ),
  );
  try {
    for (const s of stalled) s.pause();
    const before = await settled();
    // 20 MB of lines for each of the 5 (normal clients have no output limit, as in Redis).
    const value = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 200; i++) await cli.broker.send(['set', `k${i}`, value], 60_000);
    const grown = (await settled()) - before;
    // One shared copy is 20 MB (less what the kernel took); five copies would be 100 MB.
    assert.ok(grown < 40 * 1024 * 1024, `Buffers grew by ${(grown / 1024 / 1024).toFixed(1)} MB`);
  } finally {
    for (const s of stalled) s.destroy();
  }
});

// After a burst, once its clients have gone, the broker gives memory back (broker/util/gc.ts)
// and says so in its log; nothing of that happens while it is merely idle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from './harness.ts';

const CLI = fileURLToPath(new URL('../../broker/cli.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('error', reject);
    s.once('connect', () => s.write(line + '\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString('latin1'));
    });
  });
}

test('once 20 stalled subscribers are dropped and gone, the broker gives the memory back and logs it', async (t) => {
  const port = await freePort();
  // As sandboxes run it: its own process, no native addons.
  const proc = spawn(process.execPath, ['--no-addons', '--disable-warning=ExperimentalWarning', CLI, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => proc.kill('SIGKILL'));
  let log = '';
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve());
    proc.once('exit', (code) => reject(new Error(`the broker exited (${code}): ${log}`)));
  });
  // Idle for longer than the quiet period: no collection, no line.
  await sleep(3000);
  assert.doesNotMatch(log, /memory given back/);

  const socks: net.Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write('SUBSCRIBE firehose\r\n');
    await new Promise((r) => s.once('data', r));
    s.pause();
    socks.push(s);
  }
  const msg = 'x'.repeat(1024);
  const batch = `*3\r\n$7\r\nPUBLISH\r\n$8\r\nfirehose\r\n$${msg.length}\r\n${msg}\r\n`.repeat(200);
  const pub = net.connect(port, '127.0.0.1');
  await new Promise((r) => pub.once('connect', r));
  let replies = 0;
  pub.on('data', (d: Buffer) => (replies += d.toString('latin1').split('\r\n').length - 1));
  // Past client-output-buffer-limit pubsub (32 MB) each subscriber is dropped.
  let sent = 0;
  while (!(await command(port, 'PUBSUB NUMSUB firehose')).endsWith(':0\r\n') && sent < 200_000) {
    pub.write(batch);
    sent += 200;
    while (replies < sent) await sleep(5);
  }
  assert.match(await command(port, 'PUBSUB NUMSUB firehose'), /:0\r\n$/);
  for (const s of [...socks, pub]) s.destroy();

  // Quiet again: the broker collects once and reports RSS before and after.
  const deadline = Date.now() + 60_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /memory given back after a burst: RSS ([\d.]+) MB -> ([\d.]+) MB/.exec(log)) && Date.now() < deadline) await sleep(200);
  assert.ok(m, `no "memory given back" line in the broker's log:\n${log.slice(-2000)}`);
  assert.ok(Number(m[2]) < Number(m[1]), m[0]);
  // Once per burst: quiet on, no second collection.
  await sleep(3000);
  assert.equal(log.match(/memory given back/g)?.length, 1);
  assert.equal(await command(port, 'PING'), '+PONG\r\n');
});

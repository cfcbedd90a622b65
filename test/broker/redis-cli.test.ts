// Debian's redis-cli (a client nobody wrote for this broker) drives the embedded broker over a
// real connection, with the broker started as sandboxes start it: its CLI, in a Node process
// of its own without addons. Also: the start line a reader sees, and a clean exit on SIGTERM.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn, freePort } from './harness.ts';

const REDIS_CLI = process.env.REDIS_CLI_PATH ?? 'redis-cli'; // Debian's, from redis-tools
const CLI = fileURLToPath(new URL('../../broker/cli.ts', import.meta.url));

let broker: ChildProcess;
let port: number;
let stdout = '';
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

async function waitUntil(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nbroker stdout: ${stdout}\nbroker stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One redis-cli invocation; its stdout (not a terminal, so redis-cli prints raw replies). */
function cli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 }, (error, out, err) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${err}`));
      else resolve(out);
    });
  });
}

before(async () => {
  port = await freePort();
  broker = spawn(process.execPath, ['--no-addons', '--disable-warning=ExperimentalWarning', CLI, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  broker.stdout!.on('data', (d) => (stdout += d));
  broker.stderr!.on('data', (d) => (stderr += d));
  exited = new Promise((resolve) => broker.once('exit', (code, signal) => resolve({ code, signal })));
  await waitUntil('the start line', () => stdout.includes('\n') || broker.exitCode !== null);
});

after(async () => {
  if (broker.exitCode === null && broker.signalCode === null) broker.kill('SIGKILL');
  await exited;
});

test('the broker says where it listens, in words a reader understands', () => {
  assert.equal(stdout, `Hotpot broker (Redis-compatible) listening on 127.0.0.1:${port}\n`);
});

test('redis-cli: PING, SET and GET', async () => {
  assert.equal(await cli('PING'), 'PONG\n');
  assert.equal(await cli('SET', 'greeting', 'hello world'), 'OK\n');
  assert.equal(await cli('GET', 'greeting'), 'hello world\n');
  assert.equal(await cli('GET', 'missing'), '\n', 'a nil reply is an empty line');
  assert.equal(await cli('SET', 'bytes', 'caf\u00e9\u0001'), 'OK\n');
  assert.equal(await cli('STRLEN', 'bytes'), '6\n', 'UTF-8 bytes arrive as they were sent');
  assert.equal(await cli('GET', 'bytes'), 'caf\u00e9\u0001\n');
});

test('redis-cli: HSET and HGETALL', async () => {
  assert.equal(await cli('HSET', 'signup:1', 'name', 'Ada', 'email', 'ada@example.com'), '2\n');
  assert.equal(await cli('HGETALL', 'signup:1'), 'name\nAda\nemail\nada@example.com\n');
  assert.equal(await cli('HSET', 'signup:1', 'name', 'Ada L.'), '0\n');
  assert.equal(await cli('HGET', 'signup:1', 'name'), 'Ada L.\n');
});

test('redis-cli: KEYS', async () => {
  const keys = (await cli('KEYS', '*')).split('\n').filter(Boolean).sort();
  assert.deepEqual(keys, ['bytes', 'greeting', 'signup:1']);
  assert.equal(await cli('KEYS', 'signup:*'), 'signup:1\n');
  assert.equal(await cli('KEYS', 'nothing*'), '\n', 'an empty array is an empty line');
});

test('redis-cli: an error reply is printed as with Redis', async () => {
  // Outside a terminal, redis-cli prints an error's text and an empty line.
  assert.equal(await cli('HGET', 'greeting', 'x'), 'WRONGTYPE Operation against a key holding the wrong kind of value\n\n');
});

test('redis-cli monitor sees a command another client sends, and leaving it is harmless', async () => {
  const monitor = spawn(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), 'monitor'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  monitor.stdout!.on('data', (d) => (out += d));
  const monitorExited = new Promise((resolve) => monitor.once('exit', resolve));
  try {
    await waitUntil('redis-cli monitor to start', () => out.startsWith('OK\n'));
    const other = await RawConn.connect(port);
    assert.equal((await other.send(['SET', 'watched', 'by monitor'])).toString(), '+OK\r\n');
    other.close();
    await waitUntil('the SET in the monitor output', () => /"SET" "watched" "by monitor"/.test(out));
    assert.match(out, new RegExp(`^\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] "SET" "watched" "by monitor"$`, 'm'));
  } finally {
    monitor.kill('SIGTERM');
    await monitorExited;
  }
  assert.equal(await cli('GET', 'watched'), 'by monitor\n', 'the broker serves on after its monitor went away');
});

test('SIGTERM stops the broker cleanly: exit code 0, nothing on stderr', async () => {
  // A client blocked on a list must not keep the broker alive.
  const blocked = await RawConn.connect(port);
  blocked.write('*3\r\n$5\r\nBLPOP\r\n$5\r\nqueue\r\n$1\r\n0\r\n');
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  broker.kill('SIGTERM');
  const { code, signal } = await exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null });
  assert.ok(Date.now() - started < 900, `it exited at once (${Date.now() - started} ms), not after the fallback timer`);
  assert.match(stdout, /Hotpot broker: SIGTERM received, shutting down\n$/);
  assert.equal(stderr, '');
  await waitUntil('the blocked client to be disconnected', () => blocked.closed);
});

// The broker inspector (broker/inspector.ts): the JSON-over-WebSocket endpoint behind the
// workbench's Broker tab. A real broker and inspector on real sockets, a real `ws` client, and
// Debian's redis-cli as the reference for how replies are printed.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createBroker, type Broker } from '../../broker/server.ts';
import { startInspector, type Inspector } from '../../broker/inspector.ts';
import { RawConn } from './harness.ts';

const REDIS_CLI = process.env.REDIS_CLI_PATH ?? '/usr/bin/redis-cli';
const CLI = fileURLToPath(new URL('../../broker/cli.ts', import.meta.url));

let broker: Broker;
let inspector: Inspector;
/** The run's secret every WebSocket URL carries (the workbench holds it). */
const SECRET = 'a-secret-for-this-run';

before(async () => {
  broker = await createBroker({ port: 0, host: '127.0.0.1' });
  inspector = await startInspector({ brokerPort: broker.port, host: '127.0.0.1', port: 0, secret: SECRET });
});

after(async () => {
  await inspector.close();
  await broker.close();
});

type Msg = { id?: number; type: string; text?: string; line?: string; message?: string; keys?: KeyInfo[]; truncated?: boolean };
type KeyInfo = { key: string; type: string; ttl: number; size: number; value: unknown };

/** A workbench tab: one WebSocket, requests matched by id, every message kept. */
class Tab {
  ws: WebSocket;
  messages: Msg[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private waiting = new Map<number, (m: Msg) => void>();
  private listeners: ((m: Msg) => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      this.messages.push(m);
      if (m.id !== undefined && this.waiting.has(m.id)) {
        this.waiting.get(m.id)!(m);
        this.waiting.delete(m.id);
      }
      for (const l of this.listeners) l(m);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static open(port: number, path = '/', opts: { secret?: string | null; origin?: string } = {}): Promise<Tab> {
    const secret = opts.secret === undefined ? SECRET : opts.secret;
    const url = `ws://127.0.0.1:${port}${path}${secret === null ? '' : `${path.includes('?') ? '&' : '?'}secret=${encodeURIComponent(secret)}`}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts.origin ? { origin: opts.origin } : {});
      const tab = new Tab(ws);
      ws.once('open', () => resolve(tab));
      ws.once('error', reject);
    });
  }

  request(msg: Record<string, unknown>, timeoutMs = 5000): Promise<Msg> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(msg)}`)), timeoutMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.ws.send(JSON.stringify({ id, ...msg }));
    });
  }

  async run(line: string): Promise<string> {
    const m = await this.request({ type: 'command', line });
    assert.equal(m.type, 'reply', JSON.stringify(m));
    return m.text!;
  }

  /** The next message matching pred. */
  next(pred: (m: Msg) => boolean, timeoutMs = 5000): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const l = (m: Msg) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(l), 1);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.listeners.splice(this.listeners.indexOf(l), 1);
        reject(new Error('timed out waiting for a message'));
      }, timeoutMs);
      this.listeners.push(l);
    });
  }

  close(): Promise<unknown> {
    this.ws.close();
    return this.closed;
  }
}

/** redis-cli in its interactive output format (--no-raw), without the final newline. */
function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(REDIS_CLI, ['--no-raw', '-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 }, (error, out, err) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${err}`));
      else resolve(out.replace(/\n$/, ''));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('GET / answers {"ok":true}', async () => {
  const res = await fetch(`http://127.0.0.1:${inspector.port}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(await res.json(), { ok: true });
});

test('console: replies read as in redis-cli', async () => {
  const tab = await Tab.open(inspector.port, '/any/path');
  try {
    assert.equal(await tab.run('SET k v'), 'OK');
    assert.equal(await tab.run('GET k'), '"v"');
    assert.equal(await tab.run('INCR counter'), '(integer) 1');
    assert.equal(await tab.run('GET missing'), '(nil)');
    assert.equal(await tab.run('HSET h name Ada email ada@example.com'), '(integer) 2');
    assert.equal(await tab.run('HGETALL h'), '1) "name"\n2) "Ada"\n3) "email"\n4) "ada@example.com"');
    assert.equal(await tab.run('LRANGE nolist 0 -1'), '(empty array)');
    assert.equal(await tab.run('LPUSH h x'), '(error) WRONGTYPE Operation against a key holding the wrong kind of value');
    assert.equal(await tab.run('get'), "(error) ERR wrong number of arguments for 'get' command");
    assert.equal(await tab.run('SET "a b" \'c d\''), 'OK');
    assert.equal(await tab.run('GET "a b"'), '"c d"');
    assert.equal(await tab.run('SET esc "x\\ty\\x00\\"z\\n"'), 'OK');
    assert.equal(await tab.run('STRLEN esc'), '(integer) 7');
    assert.equal(await tab.run('GET esc'), '"x\\ty\\x00\\"z\\n"');
    assert.equal(await tab.run('SET "unbalanced v'), '(error) ERR Invalid argument(s)');
    assert.equal(await tab.run("GET 'x"), '(error) ERR Invalid argument(s)');
    assert.equal(await tab.run(''), '');
    assert.equal(await tab.run('   '), '');
    assert.equal(await tab.run('SET café ünï'), 'OK');
    assert.equal(await tab.run('GET café'), '"\\xc3\\xbcn\\xc3\\xaf"', 'UTF-8 bytes, escaped as redis-cli does');
    assert.equal(await tab.run('RPUSH l a b c d e f g h i j'), '(integer) 10');
    assert.equal(await tab.run('LRANGE l 0 -1'), ' 1) "a"\n 2) "b"\n 3) "c"\n 4) "d"\n 5) "e"\n 6) "f"\n 7) "g"\n 8) "h"\n 9) "i"\n10) "j"');
    assert.equal(await tab.run('EVAL "return {1,{2,{3,4}},\'x\'}" 0'), '1) (integer) 1\n2) 1) (integer) 2\n   2) 1) (integer) 3\n      2) (integer) 4\n3) "x"');
  } finally {
    await tab.close();
  }
});

test('console: the formatting matches Debian redis-cli --no-raw on the same broker', async () => {
  const tab = await Tab.open(inspector.port);
  const raw = await RawConn.connect(broker.port);
  try {
    await raw.send(['DEL', 'cmp:h', 'cmp:z', 'cmp:s', 'cmp:l', 'cmp:x', 'cmp:k', 'cmp:n']);
    await raw.send(['HSET', 'cmp:h', 'f1', 'v1', 'f2', 'caf\xc3\xa9\x01"\\']);
    await raw.send(['ZADD', 'cmp:z', '1.5', 'a', '2', 'b', '-3', 'c']);
    await raw.send(['SET', 'cmp:s', '\x93\xff\x00A\r\n\t']);
    await raw.send(['RPUSH', 'cmp:l', ...Array.from({ length: 12 }, (_, i) => `item${i}`)]);
    await raw.send(['XADD', 'cmp:x', '1-1', 'a', '1', 'b', '2']);
    await raw.send(['XADD', 'cmp:x', '2-1', 'c', '3']);
    await raw.send(['SET', 'cmp:k', 'value']);
    await raw.send(['SET', 'cmp:n', '41']);
    // Commands without side effects: each runs twice (redis-cli, then the inspector).
    const cases: string[][] = [
      ['PING'],
      ['GET', 'cmp:k'],
      ['GET', 'cmp:nothing'],
      ['STRLEN', 'cmp:n'],
      ['SET', 'cmp:k', 'value'],
      ['HGETALL', 'cmp:h'],
      ['GET', 'cmp:s'],
      ['ZRANGE', 'cmp:z', '0', '-1', 'WITHSCORES'],
      ['LRANGE', 'cmp:l', '0', '-1'],
      ['LRANGE', 'cmp:empty', '0', '-1'],
      ['XRANGE', 'cmp:x', '-', '+'],
      ['HGET', 'cmp:h', 'nope'],
      ['INCR', 'cmp:h'],
      ['EVAL', 'return {1,{2,{3,{}}},"x",false}', '0'],
      ['EXEC'],
    ];
    for (const argv of cases) {
      const line = argv.map((a) => (/^[\w:.-]+$/.test(a) ? a : `'${a}'`)).join(' ');
      const expected = await redisCli(broker.port, ...argv);
      assert.equal(await tab.run(line), expected, `${line}`);
    }
  } finally {
    raw.close();
    await tab.close();
  }
});

test('console: subscriptions, MONITOR and blocking commands are refused, the connection stays usable', async () => {
  const tab = await Tab.open(inspector.port);
  try {
    for (const [line, name] of [
      ['SUBSCRIBE news', 'SUBSCRIBE'],
      ['psubscribe n*', 'PSUBSCRIBE'],
      ['MONITOR', 'MONITOR'],
      ['SYNC', 'SYNC'],
      ['BLPOP q 5', 'BLPOP'],
      ['bzpopmin z 0.5', 'BZPOPMIN'],
      ['XREAD BLOCK 1000 STREAMS s $', 'XREAD'],
    ]) {
      assert.equal(await tab.run(line!), `(error) ERR ${name} is not available in the workbench console`);
    }
    assert.equal(await tab.run('XREAD STREAMS nostream 0'), '(nil)', 'a non-blocking XREAD runs');
    assert.equal(await tab.run('PING'), 'PONG');
  } finally {
    await tab.close();
  }
});

test('console: replies come back in the order of the lines', async () => {
  const tab = await Tab.open(inspector.port);
  try {
    const lines = ['SET order 1', 'SUBSCRIBE x', 'INCR order', '', 'GET "bad', 'GET order'];
    const ids = lines.map((line, i) => {
      tab.ws.send(JSON.stringify({ id: 100 + i, type: 'command', line }));
      return 100 + i;
    });
    await tab.next((m) => m.id === 105);
    const replies = tab.messages.filter((m) => m.type === 'reply');
    assert.deepEqual(
      replies.map((m) => m.id),
      ids,
    );
    assert.equal(replies.at(-1)!.text, '"2"');
  } finally {
    await tab.close();
  }
});

test('keys: one key of each type, with TTLs, sizes and previews', async () => {
  const raw = await RawConn.connect(broker.port);
  const tab = await Tab.open(inspector.port);
  try {
    await raw.send(['FLUSHALL']);
    await raw.send(['SET', 'bull:emails:id', '42']);
    await raw.send(['PEXPIRE', 'bull:emails:id', '100000']);
    await raw.send(['SET', 'bin', Buffer.from([0x93, 0xa4, 0x6e, 0x61, 0x6d, 0x65, 0xff, 0x00, 0xc3, 0xa9, 0x0a])]);
    await raw.send(['SET', 'long', 'x'.repeat(1000)]);
    await raw.send(['HSET', 'bull:emails:1', 'name', 'welcome', 'data', '{"to":"ada@example.com"}', '__proto__', 'p']);
    await raw.send(['RPUSH', 'bull:emails:wait', '3', '2', '1']);
    await raw.send(['SADD', 'tags', 'zeta', 'alpha', 'mid']);
    await raw.send(['ZADD', 'bull:emails:delayed', '1.5', 'b', '10', 'a']);
    await raw.send(['XADD', 'bull:emails:events', '1-1', 'event', 'added', 'jobId', '1']);
    await raw.send(['XADD', 'bull:emails:events', '2-1', 'event', 'completed']);
    await raw.send(['SELECT', '1']);
    await raw.send(['SET', 'elsewhere', 'db1']);

    const m = await tab.request({ type: 'keys' });
    assert.equal(m.type, 'keys');
    assert.equal(m.truncated, false);
    const keys = m.keys!;
    assert.deepEqual(
      keys.map((k) => k.key),
      ['bin', 'bull:emails:1', 'bull:emails:delayed', 'bull:emails:events', 'bull:emails:id', 'bull:emails:wait', 'long', 'tags'],
    );
    const by = Object.fromEntries(keys.map((k) => [k.key, k]));
    assert.deepEqual(by['bin'], { key: 'bin', type: 'string', ttl: -1, size: 11, value: '\\x93\\xa4name\\xff\\x00é\\x0a' });
    assert.equal(by['bull:emails:id']!.type, 'string');
    assert.ok(by['bull:emails:id']!.ttl > 90_000 && by['bull:emails:id']!.ttl <= 100_000, String(by['bull:emails:id']!.ttl));
    assert.equal(by['bull:emails:id']!.value, '42');
    assert.equal(by['long']!.size, 1000);
    assert.equal(by['long']!.value, 'x'.repeat(300) + '…');
    assert.deepEqual({ ...by['bull:emails:1']!, value: null }, { key: 'bull:emails:1', type: 'hash', ttl: -1, size: 3, value: null });
    assert.equal(JSON.stringify(by['bull:emails:1']!.value), '{"name":"welcome","data":"{\\"to\\":\\"ada@example.com\\"}","__proto__":"p"}');
    assert.deepEqual(by['bull:emails:wait'], { key: 'bull:emails:wait', type: 'list', ttl: -1, size: 3, value: ['3', '2', '1'] });
    assert.deepEqual(by['tags'], { key: 'tags', type: 'set', ttl: -1, size: 3, value: ['alpha', 'mid', 'zeta'] });
    assert.deepEqual(by['bull:emails:delayed'], {
      key: 'bull:emails:delayed',
      type: 'zset',
      ttl: -1,
      size: 2,
      value: [
        ['b', '1.5'],
        ['a', '10'],
      ],
    });
    assert.equal(by['bull:emails:events']!.type, 'stream');
    assert.equal(by['bull:emails:events']!.size, 2);
    assert.equal(
      JSON.stringify(by['bull:emails:events']!.value),
      JSON.stringify([
        { id: '2-1', fields: { event: 'completed' } },
        { id: '1-1', fields: { event: 'added', jobId: '1' } },
      ]),
    );
  } finally {
    raw.close();
    await tab.close();
  }
});

test('keys: at most 200, sorted by name, truncated beyond', async () => {
  const raw = await RawConn.connect(broker.port);
  const tab = await Tab.open(inspector.port);
  try {
    await raw.send(['FLUSHALL']);
    const args: string[] = [];
    for (let i = 0; i < 250; i++) args.push(`k:${String(i).padStart(3, '0')}`, String(i));
    await raw.send(['MSET', ...args]);
    const m = await tab.request({ type: 'keys' });
    assert.equal(m.truncated, true);
    assert.equal(m.keys!.length, 200);
    assert.equal(m.keys![0]!.key, 'k:000');
    assert.equal(m.keys![199]!.key, 'k:199');
    await raw.send(['FLUSHALL']);
    const empty = await tab.request({ type: 'keys' });
    assert.deepEqual({ keys: empty.keys, truncated: empty.truncated }, { keys: [], truncated: false });
  } finally {
    raw.close();
    await tab.close();
  }
});

test('monitor: other clients\' commands appear, the inspector\'s own do not, and off stops the lines', async () => {
  const tab = await Tab.open(inspector.port);
  const other = await Tab.open(inspector.port); // a second inspector tab: its commands are hidden too
  const raw = await RawConn.connect(broker.port);
  try {
    tab.ws.send(JSON.stringify({ type: 'monitor', on: true }));
    // MONITOR is on once the broker echoes a marker command sent after it.
    for (let i = 0; ; i++) {
      await raw.send(['ECHO', `ready-${i}`]);
      try {
        await tab.next((m) => m.type === 'monitor' && m.line!.includes(`"ECHO" "ready-${i}"`), 300);
        break;
      } catch {
        if (i > 20) throw new Error('MONITOR never started');
      }
    }
    await tab.run('SET mine 1');
    await other.run('SET theirs-inspector 1');
    await other.request({ type: 'keys' });
    await tab.request({ type: 'keys' });
    await tab.run('EVAL "return redis.call(\'SET\', \'from-lua\', \'1\')" 0');
    await raw.send(['SET', 'greeting', 'hello world']);
    const seen = await tab.next((m) => m.type === 'monitor' && m.line!.includes('"greeting"'));
    assert.match(seen.line!, /^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "greeting" "hello world"$/);
    await raw.send(['EVAL', "return redis.call('GET', 'greeting')", '0']);
    await tab.next((m) => m.type === 'monitor' && m.line!.includes('"EVAL"'));
    await sleep(100);
    const lines = tab.messages.filter((m) => m.type === 'monitor').map((m) => m.line!);
    for (const l of lines) {
      assert.doesNotMatch(l, /mine|theirs-inspector|from-lua|"SCAN"|"TYPE"|"PTTL"|hotpot-inspector|"MONITOR"/, `an inspector command leaked into MONITOR: ${l}`);
    }
    const luaGet = lines.findIndex((l) => /\[0 lua\] "GET" "greeting"/.test(l));
    assert.ok(luaGet >= 0, `a script run by another client shows its commands: ${lines.join('\n')}`);

    tab.ws.send(JSON.stringify({ type: 'monitor', on: false }));
    await tab.run('PING'); // processed after the monitor message
    const before = tab.messages.filter((m) => m.type === 'monitor').length;
    await raw.send(['SET', 'after-off', '1']);
    await sleep(200);
    assert.equal(tab.messages.filter((m) => m.type === 'monitor').length, before, 'no MONITOR lines after off');

    // On again: a new MONITOR connection.
    tab.ws.send(JSON.stringify({ type: 'monitor', on: true }));
    for (let i = 0; ; i++) {
      await raw.send(['ECHO', `again-${i}`]);
      try {
        await tab.next((m) => m.type === 'monitor' && m.line!.includes(`"again-${i}"`), 300);
        break;
      } catch {
        if (i > 20) throw new Error('MONITOR never restarted');
      }
    }
  } finally {
    raw.close();
    await other.close();
    await tab.close();
  }
});

test('malformed messages get an error and the socket keeps working', async () => {
  const tab = await Tab.open(inspector.port);
  try {
    for (const bad of ['garbage', '[1,2]', 'null', '{"type":"nope"}', '{"type":"command","line":"PING"}', '{"id":1,"type":"command"}', '{"type":"monitor","on":"yes"}']) {
      tab.ws.send(bad);
      const m = await tab.next((x) => x.type === 'error');
      assert.equal(typeof m.message, 'string', bad);
      assert.ok(m.message!.length > 0);
    }
    tab.ws.send(Buffer.from('binary'), { binary: true });
    await tab.next((x) => x.type === 'error');
    assert.equal(await tab.run('PING'), 'PONG');
    assert.equal(tab.ws.readyState, WebSocket.OPEN);
  } finally {
    await tab.close();
  }
});

test('the broker gone: the WebSocket closes with 1011', async () => {
  const b = await createBroker({ port: 0, host: '127.0.0.1' });
  const insp = await startInspector({ brokerPort: b.port, host: '127.0.0.1', port: 0, secret: SECRET });
  try {
    const tab = await Tab.open(insp.port);
    assert.equal(await tab.run('PING'), 'PONG');
    await b.close();
    const { code, reason } = await tab.closed;
    assert.equal(code, 1011);
    assert.ok(reason.length > 0);
  } finally {
    await insp.close();
  }
});

test('the CLI: --inspector-port starts the inspector, SIGTERM stops both and exits 0', async () => {
  const child: ChildProcess = spawn(process.execPath, ['--no-addons', '--disable-warning=ExperimentalWarning', CLI, '--port', '0', '--inspector-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const end = Date.now() + 10_000;
    while (stdout.split('\n').length < 3) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no start lines\nstdout: ${stdout}\nstderr: ${stderr}`);
      await sleep(20);
    }
    const [first, second] = stdout.split('\n');
    const bm = /^Hotpot broker \(Redis-compatible\) listening on 127\.0\.0\.1:(\d+)$/.exec(first!);
    // No secret given: the CLI makes one and prints it in the URL.
    const im = /^Hotpot broker inspector on http:\/\/127\.0\.0\.1:(\d+)\/\?secret=([\w-]{32})$/.exec(second!);
    assert.ok(bm && im, stdout);
    await assert.rejects(Tab.open(Number(im[1]), '/', { secret: null }).then((t) => t.next(() => false, 2000)));
    const tab = await Tab.open(Number(im[1]), '/', { secret: im[2]! });
    assert.equal(await tab.run('SET via-cli yes'), 'OK');
    assert.equal(await redisCli(Number(bm[1]), 'GET', 'via-cli'), '"yes"');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const { code, reason } = await tab.closed;
    assert.equal(code, 1011, 'the WebSocket hears that the broker is gone');
    assert.match(reason, /shutting down/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('the CLI without --inspector-port prints only the listening line', async () => {
  const child = spawn(process.execPath, ['--no-addons', '--disable-warning=ExperimentalWarning', CLI, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const end = Date.now() + 10_000;
  while (!stdout.includes('\n') && Date.now() < end) await sleep(20);
  await sleep(200);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stdout, /^Hotpot broker \(Redis-compatible\) listening on 127\.0\.0\.1:\d+\nHotpot broker: SIGTERM received, shutting down\n$/);
});

test('the bundled CLI (as sandboxes run it) serves the inspector', async () => {
  // esbuild turns ws's CommonJS into part of one ES module: its require()s of Node built-ins
  // must still work there, and its optional native helpers must stay out.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const { bundleBroker } = await import('../../site/integration/sandbox-modules.ts');
  const code = await bundleBroker(root);
  // Inside the repository (an ignored folder), so that the external wasmoon resolves.
  mkdirSync(join(root, '.hotpot'), { recursive: true });
  const dir = mkdtempSync(join(root, '.hotpot', 'inspector-test-'));
  const file = join(dir, 'cli.mjs');
  writeFileSync(file, code);
  // The secret from the environment, as the workbench passes it: not printed.
  const child = spawn(process.execPath, ['--no-addons', file, '--port', '0', '--inspector-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOTPOT_INSPECTOR_SECRET: SECRET },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  try {
    const end = Date.now() + 15_000;
    while (stdout.split('\n').length < 3) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no start lines\nstdout: ${stdout}\nstderr: ${stderr}`);
      await sleep(20);
    }
    const im = /^Hotpot broker inspector on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(stdout);
    assert.ok(im, stdout);
    assert.ok(!stdout.includes(SECRET), 'a secret given by the workbench is not printed');
    const res = await fetch(`http://127.0.0.1:${im[1]}/`);
    assert.deepEqual(await res.json(), { ok: true });
    const tab = await Tab.open(Number(im[1]), '/proxy/prefix');
    assert.equal(await tab.run('HSET job name welcome'), '(integer) 1');
    assert.equal(await tab.run('HGETALL job'), '1) "name"\n2) "welcome"');
    const keys = await tab.request({ type: 'keys' });
    assert.deepEqual(keys.keys, [{ key: 'job', type: 'hash', ttl: -1, size: 1, value: { name: 'welcome' } }]);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.equal((await tab.closed).code, 1011);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('access: the run\'s secret and an allowed Origin, or the WebSocket closes with 1008 and the reason', async () => {
  const refused = async (path: string, opts: { secret?: string | null; origin?: string }, reason: RegExp) => {
    const tab = await Tab.open(inspector.port, path, opts);
    tab.ws.send(JSON.stringify({ id: 1, type: 'command', line: 'SET refused-socket-wrote 1' }));
    const closed = await tab.closed;
    assert.equal(closed.code, 1008, JSON.stringify(opts));
    assert.match(closed.reason, reason);
    assert.deepEqual(tab.messages, []);
  };
  await refused('/', { secret: null }, /needs the run's secret \(\?secret=\)/);
  await refused('/', { secret: '' }, /needs the run's secret/);
  await refused('/', { secret: SECRET + 'x' }, /wrong inspector secret/);
  await refused('/', { origin: 'http://evil.example' }, /origin http:\/\/evil\.example is not allowed/);
  await refused('/', { origin: 'null' }, /origin null is not allowed/);
  await refused('/', { secret: null, origin: 'https://evil.example' }, /not allowed/);
  // Nothing ran: a refused socket's commands never reach the broker.
  const c = await RawConnFor(broker.port);
  assert.equal(await c('EXISTS refused-socket-wrote'), ':0\r\n');
  // Allowed: loopback pages (the local workbench on another port), no Origin (not a browser).
  for (const origin of [undefined, 'http://127.0.0.1:4321', 'http://localhost:4321', 'http://[::1]:4321', `http://127.0.0.1:${inspector.port}`]) {
    const tab = await Tab.open(inspector.port, '/', { origin });
    assert.equal(await tab.run('PING'), 'PONG', String(origin));
    await tab.close();
  }
  // An explicit allowlist replaces the default.
  const insp = await startInspector({ brokerPort: broker.port, host: '127.0.0.1', port: 0, secret: SECRET, origins: ['https://course.example'] });
  try {
    const ok = await Tab.open(insp.port, '/', { origin: 'https://course.example' });
    assert.equal(await ok.run('PING'), 'PONG');
    await ok.close();
    const tab = await Tab.open(insp.port, '/', { origin: 'http://localhost:4321' });
    assert.equal((await tab.closed).code, 1008);
  } finally {
    await insp.close();
  }
});

/** A one-command-at-a-time raw RESP connection. */
async function RawConnFor(port: number): Promise<(line: string) => Promise<string>> {
  const { RawConn } = await import('./harness.ts');
  const c = await RawConn.connect(port);
  return async (line: string) => {
    const r = (await c.send(line.split(' '))).toString('latin1');
    return r;
  };
}

// Unit tests of the RESP2 parser and encoder (no sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespParser, ProtocolError, splitArgs } from '../../broker/resp/parser.ts';
import { encode } from '../../broker/resp/encoder.ts';
import { ErrorReply, NULL_ARRAY, Sequence, Status } from '../../broker/resp/reply.ts';

function parseAll(input: Buffer | string, chunk = Infinity): (string[] | Error)[] {
  const p = new RespParser();
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const out: (string[] | Error)[] = [];
  for (let i = 0; i < buf.length; i += chunk === Infinity ? buf.length : chunk) {
    p.feed(buf.subarray(i, chunk === Infinity ? buf.length : i + chunk));
    try {
      for (let c = p.next(); c; c = p.next()) out.push(c);
    } catch (e) {
      out.push(e as Error);
      return out;
    }
  }
  return out;
}

test('multibulk commands, whole and byte by byte', () => {
  const input = '*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING\r\n';
  assert.deepEqual(parseAll(input), [['GET', 'key'], ['PING']]);
  assert.deepEqual(parseAll(input, 1), [['GET', 'key'], ['PING']]);
  assert.deepEqual(parseAll(input, 3), [['GET', 'key'], ['PING']]);
});

test('binary-safe arguments keep every byte', () => {
  const payload = Buffer.from([0x93, 0xff, 0x00, 0x41, 0x0d, 0x0a, 0xc3, 0x28]);
  const input = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
  const [cmd] = parseAll(input, 2) as string[][];
  assert.deepEqual(Buffer.from(cmd![1]!, 'latin1'), payload);
});

test('large bulk payload arriving in many chunks', () => {
  const big = Buffer.alloc(200_000, 0x61);
  big[0] = 0xff;
  big[big.length - 1] = 0x00;
  const input = Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${big.length}\r\n`), big, Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')]);
  const out = parseAll(input, 7000) as string[][];
  assert.equal(out.length, 2);
  assert.deepEqual(Buffer.from(out[0]![2]!, 'latin1'), big);
  assert.deepEqual(out[1], ['PING']);
});

test('inline commands like redis-cli and telnet send them', () => {
  assert.deepEqual(parseAll('PING\r\n'), [['PING']]);
  assert.deepEqual(parseAll('set  k   v\n'), [['set', 'k', 'v']]);
  assert.deepEqual(parseAll('\r\n\r\nPING\r\n'), [['PING']]);
  assert.deepEqual(parseAll(`echo "a\\x41\\n" 'b\\'c'\r\n`), [['echo', 'aA\n', "b'c"]]);
  assert.deepEqual(splitArgs('"\\q\\x4g"'), ['q' + 'x4g']);
});

test('protocol errors are Redis errors', () => {
  const err = (input: string) => {
    const out = parseAll(input);
    const last = out[out.length - 1];
    assert.ok(last instanceof ProtocolError, `expected an error for ${JSON.stringify(input)}`);
    return last.message;
  };
  assert.equal(err('*x\r\n'), 'Protocol error: invalid multibulk length');
  assert.equal(err('*3000000000\r\n'), 'Protocol error: invalid multibulk length');
  assert.equal(err('*1\r\n+foo\r\n'), "Protocol error: expected '$', got '+'");
  assert.equal(err('*1\r\n$-1\r\n'), 'Protocol error: invalid bulk length');
  assert.equal(err('*1\r\n$01\r\n'), 'Protocol error: invalid bulk length');
  assert.equal(err('*1\r\n$999999999999\r\n'), 'Protocol error: invalid bulk length');
  assert.equal(err('ping "a"b\r\n'), 'Protocol error: unbalanced quotes in request');
  assert.equal(err("echo 'a\r\n"), 'Protocol error: unbalanced quotes in request');
  assert.equal(err('x'.repeat(70000)), 'Protocol error: too big inline request');
  assert.equal(err('*1\r\n$' + '1'.repeat(70000)), 'Protocol error: too big bulk count string');
});

test('Redis quirks: empty multibulks are skipped, the CRLF after a payload is not checked', () => {
  assert.deepEqual(parseAll('*0\r\n*-1\r\n*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n'), [['PING'], ['PING']]);
  assert.deepEqual(parseAll('*1\rX$4\r\nPING\r\n'), [['PING']]);
});

test('a bulk longer than the configured cap is refused', () => {
  const p = new RespParser({ maxBulkLen: 1024 });
  p.feed(Buffer.from('*1\r\n$1025\r\n'));
  assert.throws(() => p.next(), /invalid bulk length/);
});

test('unauthenticated clients get the tighter limits', () => {
  const p = new RespParser({ unauthenticated: () => true });
  p.feed(Buffer.from('*11\r\n'));
  assert.throws(() => p.next(), /unauthenticated multibulk length/);
  const q = new RespParser({ unauthenticated: () => true });
  q.feed(Buffer.from('*1\r\n$16385\r\n'));
  assert.throws(() => q.next(), /unauthenticated bulk length/);
});

test('encoder', () => {
  assert.equal(encode('abc'), '$3\r\nabc\r\n');
  assert.equal(encode(''), '$0\r\n\r\n');
  assert.equal(encode(null), '$-1\r\n');
  assert.equal(encode(NULL_ARRAY), '*-1\r\n');
  assert.equal(encode(42), ':42\r\n');
  assert.equal(encode(-9223372036854775808n), ':-9223372036854775808\r\n');
  assert.equal(encode(new Status('OK')), '+OK\r\n');
  assert.equal(encode(new ErrorReply('ERR a\r\nb')), '-ERR a  b\r\n');
  assert.equal(encode(['a', 1, null, [new Status('x')]]), '*4\r\n$1\r\na\r\n:1\r\n$-1\r\n*1\r\n+x\r\n');
  assert.equal(encode(new Sequence([['subscribe', 'a', 1], ['subscribe', 'b', 2]])), '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n');
  assert.equal(encode('\xff\x00'), '$2\r\n\xff\x00\r\n');
});

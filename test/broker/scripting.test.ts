// Differential tests: EVAL/EVALSHA/SCRIPT, Lua <-> Redis conversions, the
// libraries Redis bundles, errors with script and line, timeouts and SCRIPT KILL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { both, decode, runCases, show, sorted, useDifferential } from './harness.ts';

const env = useDifferential({ before, after });
const ev = (src: string, ...rest: (string | Buffer)[]) => ['eval', src, ...(rest.length ? rest : ['0'])];

test('conversions between Lua and Redis types', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ev('return 1'),
    ev('return 3.99'),
    ev('return -3.99'),
    ev('return 2^62'),
    ev('return 2^63'),
    ev('return 0/0'),
    ev("return 'abc'"),
    ev('return true'),
    ev('return false'),
    ev('return nil'),
    ev('return'),
    ev('return {1,2,nil,3}'),
    ev("return {1.9, true, false, 'a', {ok='fine'}, {err='bad'}}"),
    ev('return {1, {2, {3, "x"}}}'),
    ev("return {err='x y'}"),
    ev("return {err='-x y'}"),
    ev("return {err=''}"),
    ev('return {err=5}'),
    ev('return {ok=5}'),
    ev("return {ok='a\\r\\nb'}"),
    ev("return {err='a\\r\\nb'}"),
    ev("return {double=1.5}"),
    ev("return redis.error_reply('x y')"),
    ev("return redis.error_reply('-x y')"),
    ev("return redis.error_reply('')"),
    ev("return redis.error_reply('oops')"),
    ev('return redis.error_reply(5)'),
    ev("return redis.status_reply('x y')"),
    ev('return redis.status_reply()'),
    ev("return redis.call('ping')"),
    ev("return redis.call('get','nokey')"),
    ev("return type(redis.call('get','nokey'))"),
    ev("redis.call('set','n','10') return {redis.call('incr','n'), type(redis.call('incr','n'))}"),
    ev("redis.call('set','n','10') return tostring(redis.call('incr','n')) .. '|' .. redis.call('incr','n')"),
    ev("redis.call('hset', 'h', 'a', 1) return redis.call('hgetall', 'h')"),
    ev("return redis.call('type', 'h')"),
    ev("return redis.call('type', 'h').ok"),
    ev("redis.call('zadd', 'z', '1.5', 'a') return {redis.call('zscore', 'z', 'a'), tostring(redis.call('zscore', 'z', 'a'))}"),
    ev("return redis.call('set', 'k', 0.1)"),
    ['get', 'k'],
    ev("return redis.call('set', 'k', 5.0)"),
    ['get', 'k'],
    ev("return redis.call('set', 'k', 10/2)"),
    ['get', 'k'],
    ev("return redis.call('set', 'k', 123456789012345678)"),
    ['get', 'k'],
    ev("return redis.call('set', 'k', 1e300)"),
    ['get', 'k'],
    ev('return KEYS[1]..ARGV[1]', '1', 'a', 'b'),
    ev('return #ARGV', '0', 'x', 'y'),
    ev('return {KEYS, ARGV}', '2', 'k1', 'k2', 'a1'),
    ev('return', '-1'),
    ev('return', 'x'),
    ev('return', '2', 'a'),
    ev("return tostring(10/2) .. ' ' .. tostring(3) .. ' ' .. tostring(1e15) .. ' ' .. tostring(123456789012345)"),
    ev("return tonumber('5.0') .. ''"),
    ev("return type(unpack) .. type(loadstring) .. type(table.getn) .. type(math.pow) .. type(gcinfo)"),
    ev("return loadstring('return 1')()"),
  ]);
});

test('binary-safe KEYS and ARGV, and cmsgpack on them', async () => {
  const p = await env.fresh();
  const bin = Buffer.from([0x93, 0xff, 0x00, 0x41]);
  await runCases(p, [
    ev('return ARGV[1]', '0', bin),
    ev('return #ARGV[1]', '0', bin),
    ev("return {string.byte(ARGV[1], 1, -1)}", '0', bin),
    ev('return KEYS[1]', '1', Buffer.from([0, 1, 2, 255])),
    ev("redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", '1', Buffer.from([0xc3, 0x28]), bin),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', Buffer.from([0x93, 0x01, 0x02, 0x03])),
    ev('local t = cmsgpack.unpack(ARGV[1]) return {t.a, t.b, t.c}', '0', Buffer.from([0x83, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xa1, 0x63, 0xc3])),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', Buffer.from([0xff])),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', Buffer.from([0x92, 0x01])),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', Buffer.from([0xc1])),
    ev("return cmsgpack.pack(1, -1, 200, -200, 70000, -70000, 5000000000, 1.5, 0.1, 'abc', true, nil, {}, {1,2,3})"),
    ev("return cmsgpack.pack({a=1})"),
    ev("return cmsgpack.pack(string.rep('x', 40), string.rep('y', 300))"),
    ev('return cmsgpack.pack()'),
    ev("local s = cmsgpack.pack({1, 'two', {3}}) local t = cmsgpack.unpack(s) return {t[1], t[2], t[3][1]}"),
  ]);
});

// Each value unpacked as type, its concatenation (an integer-valued float would read "5.0")
// and tostring, so that the integer/float distinction is compared too. (Not the concatenation
// from 1e14 on, where Lua 5.4 integers print all their digits and Redis's doubles "%.14g",
// nor of zero, which is -0.0 or 0 in Lua 5.4 and prints as "-0.0" or "0".)
const SHOW_VALUES = "local function show(v) if type(v) == 'table' then local r = {'table'} for k, x in pairs(v) do r[#r + 1] = show(k) .. '=' .. show(x) end return table.concat(r, ' ') end if type(v) == 'number' and math.abs(v) < 1e14 and v ~= 0 then return 'number:' .. v .. ':' .. tostring(v) end return type(v) .. ':' .. tostring(v) end ";
const showAll = (expr: string) => SHOW_VALUES + `local r = {} local t = {${expr}} for i = 1, table.maxn(t) do r[i] = show(t[i]) end return r`;

test('cmsgpack edge cases, byte for byte', async () => {
  const p = await env.fresh();
  const mp = (...bytes: number[]) => Buffer.from(bytes);
  await runCases(p, [
    // Integers at each width's boundaries, positive and negative, and integral floats.
    ev('return cmsgpack.pack(0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53, 2^53 + 2, 2^62, 2^63, 2^64)'),
    ev('return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -4294967296, -2^53, -2^63, -2^64)'),
    // (Not -0.0 and 1/0 in one script: Lua 5.1 merges the constants 0 and -0.)
    ev('return cmsgpack.pack(5.0, -0.0, 1e15, 1e300, -1e300)'),
    ev('return cmsgpack.pack(1/0, -1/0)'),
    ev('return cmsgpack.pack(0/0, -(0/0))'),
    ev('return cmsgpack.pack(0.5, 1.5, -2.25, 0.1, 1/3, 3.4028234663852886e38, 3.4028236e38, 2^-149, 1e-45)'),
    ev("return cmsgpack.pack('', string.rep('a', 31), string.rep('b', 32), string.rep('c', 255), string.rep('d', 256))"),
    ev("return cmsgpack.pack(string.rep('e', 65535), string.rep('f', 65536))"),
    ev('return cmsgpack.pack(ARGV[1], KEYS[1])', '1', mp(0, 0xff, 0, 0x80), mp(0xc3, 0, 0xff)),
    ev('return cmsgpack.pack({}, {{}}, {1, 2, 3}, {1, nil, 3}, {[1]=1, [2]=2, [4]=4}, {[1.5]=1}, {[0]=1}, {[-1]=1})'),
    ev("return cmsgpack.pack({a={b={c={1, 'x', true, false}}}})"),
    ev("local t = {} for i = 1, 20 do t[i] = i * 1000 end return cmsgpack.pack(t)"),
    ev("local t = {} for i = 1, 70000 do t[i] = i % 3 end return cmsgpack.pack(t)"),
    ev("local t = {} for i = 1, 20 do t['k' .. i] = 1 end return #cmsgpack.pack(t)"),
    ev('return cmsgpack.pack({{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}})'),
    ev('return cmsgpack.pack(cjson.null, redis.call, nil, true, false)'),
    ev("local t = {} t[1] = t return cmsgpack.pack(t)"),
    // Unpacking: every type, with the integer/float distinction.
    ev(showAll('cmsgpack.unpack(ARGV[1])'), '0', mp(0x00, 0x7f, 0xff, 0xe0, 0xcc, 0xff, 0xcd, 0xff, 0xff, 0xce, 0xff, 0xff, 0xff, 0xff, 0xd0, 0x80, 0xd1, 0x80, 0x00, 0xd2, 0x80, 0, 0, 0)),
    ev(showAll('cmsgpack.unpack(ARGV[1])'), '0', mp(0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0, 0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0)),
    ev(showAll('cmsgpack.unpack(ARGV[1])'), '0', mp(0xd3, 0xff, 0xe0, 0, 0, 0, 0, 0, 0, 0xd3, 0xff, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xd3, 0, 0, 0, 1, 0, 0, 0, 0)),
    ev(showAll('cmsgpack.unpack(ARGV[1])'), '0', mp(0xca, 0x40, 0x40, 0, 0, 0xca, 0x3f, 0xc0, 0, 0, 0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a, 0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x43, 0x50, 0, 0, 0, 0, 0, 1, 0xca, 0x7f, 0x80, 0, 0)),
    ev(showAll('cmsgpack.unpack(ARGV[1])'), '0', mp(0xc0, 0xc2, 0xc3, 0xa0, 0xa3, 0x00, 0xff, 0x41, 0xd9, 0x02, 0x61, 0x62, 0xda, 0x00, 0x01, 0x63, 0xdb, 0, 0, 0, 1, 0x64, 0xc0)),
    ev(showAll('cmsgpack.unpack(ARGV[1])'), '0', mp(0x90, 0x80, 0x93, 0x01, 0xc0, 0x03, 0x92, 0x91, 0x91, 0x90, 0x82, 0xa1, 0x61, 0x01, 0x02, 0xc0, 0xdc, 0, 2, 1, 2, 0xdd, 0, 0, 0, 1, 7, 0xde, 0, 1, 1, 2, 0xdf, 0, 0, 0, 1, 0xa1, 0x62, 0xc3)),
    ev("local t = cmsgpack.unpack(ARGV[1]) return {#t, t[1], t[3]}", '0', mp(0x93, 0x01, 0xc0, 0x03)),
    ev('return cmsgpack.unpack(cmsgpack.pack(ARGV[1])) == ARGV[1]', '0', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff))),
    ev(showAll('cmsgpack.unpack(cmsgpack.pack(-1, -33, -129, -32769, -2147483649, 2^32, 2^53, 1.5, 0.1, {1, {2, {3}}}))')),
    ev('return {cmsgpack.unpack(123)}'),
    ev('return {cmsgpack.unpack(1.5)}'),
    ev("return {cmsgpack.unpack('')}"),
    // unpack_one / unpack_limit: the next offset first, -1 at the end.
    ev('return {cmsgpack.unpack_one(ARGV[1])}', '0', 'abc'),
    ev('return {cmsgpack.unpack_one(ARGV[1], 1)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_one(ARGV[1], 2)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_one(ARGV[1], 3)}', '0', 'abc'),
    ev("return {cmsgpack.unpack_one(ARGV[1], '1')}", '0', 'abc'),
    ev('return {cmsgpack.unpack_one(ARGV[1], 1.5)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_one(ARGV[1], 4)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_one(ARGV[1], -1)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_limit(ARGV[1], 2)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_limit(ARGV[1], 2, 1)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_limit(ARGV[1], 0, 0)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_limit(ARGV[1], 0, 1)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_limit(ARGV[1], -1)}', '0', 'abc'),
    ev('return {cmsgpack.unpack_limit(ARGV[1])}', '0', 'abc'),
    ev("return {cmsgpack.unpack_limit(ARGV[1], 'x')}", '0', 'abc'),
    // Errors.
    ev('return {cmsgpack.unpack()}'),
    ev('return {cmsgpack.unpack(nil)}'),
    ev('return {cmsgpack.unpack({})}'),
    ev('return {cmsgpack.unpack_one(true)}'),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', mp(0xc4, 0x01, 0x61)),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', mp(0xd4, 0x01, 0x01)),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', mp(0xcd, 0x01)),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', mp(0xa5, 0x61)),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', mp(0x82, 0xc0, 0x01, 0x01, 0x02)),
    ev('return {cmsgpack.unpack(ARGV[1])}', '0', mp(0x81, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0x01)),
    ev('return {pcall(cmsgpack.unpack, ARGV[1])}', '0', mp(0xc1)),
  ]);
});

test('cjson.encode edge cases', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ev("local s = '' for i = 0, 127 do s = s .. string.char(i) end return cjson.encode(s)"),
    ev('return cjson.encode(ARGV[1])', '0', Buffer.from([0x80, 0xff, 0, 0x22, 0x5c, 0x2f, 0xe2, 0x82, 0xac])),
    ev("return cjson.encode({'a', {b = {c = {1, 2.5, true, false}}}, {}, {{}}})"),
    ev('return cjson.encode({-0.0, 1e14, 1e15, 123456789012345, 2^53, -2^63, 0.1, 1/3, 1e-7, 5e-324})'),
    ev("return cjson.encode({[1.5] = 'a'})"),
    ev("return cjson.encode({[2^53] = 'a'})"),
    ev("return cjson.encode({[2^31] = 'a'})"),
    ev("return cjson.encode({[2^31 - 1] = 'a'})"),
    ev('return cjson.encode({[1] = 1, [3] = 3})'),
    ev('return cjson.encode({[10] = 1})'),
    ev('return cjson.encode({[11] = 1})'),
    ev('return cjson.encode({[1] = 1, [2] = 2, [3] = 3, [12] = 12, [13] = 13, [14] = 14})'),
    ev("return cjson.encode({1, 2, x = 3})"),
    ev('return cjson.encode(cjson.null)'),
    ev('return cjson.encode({cjson.null, cjson.null})'),
    ev('return cjson.encode(1/0)'),
    ev('return cjson.encode({1, 0/0})'),
    ev('return cjson.encode({[1/0] = 1})'),
    ev('return cjson.encode({a = redis.call})'),
    ev('return cjson.encode({[{}] = 1})'),
    ev('return cjson.encode()'),
    ev('return cjson.encode(1, 2)'),
    ev('return cjson.encode(nil)'),
    ev('local ok, e = pcall(cjson.encode, {1, redis.call}) return e'),
    ev('local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)'),
    ev('local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return cjson.encode(t)'),
    ev("local t = {} t[1] = t return cjson.encode(t)"),
  ]);
});

test('cjson, bit, struct and Redis helpers', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ev('return cjson.encode({1,2,{a=1}})'),
    ev('return cjson.encode({})'),
    ev("return cjson.encode({a='/x\"'})"),
    ev('return cjson.encode({1,nil,3})'),
    ev('return cjson.encode({[1]=1,[5]=5})'),
    ev('return cjson.encode({[1]=1,[20]=5})'),
    ev('return cjson.encode({[true]=1})'),
    ev('return cjson.encode(function() end)'),
    ev('return cjson.encode(0/0)'),
    ev('return cjson.encode({1.5, 3, 123456789012345678, 0.1, 1e300, cjson.null})'),
    ev("return cjson.encode(ARGV[1])", '0', Buffer.from([1, 0x7f, 9, 0xc3, 0xa9])),
    ev("return cjson.decode('[1,2.5,\"a\",null,true,{\"k\":\"v\"}]')"),
    ev("return cjson.decode('{\"a\":[1,2,{\"b\":\"\\\\u00e9\\\\n\"}]}').a[3].b"),
    ev("return cjson.decode('{')"),
    ev("return cjson.decode('[1,2')"),
    ev("return cjson.decode('x')"),
    ev("return cjson.decode('[1] x')"),
    ev("return tostring(cjson.decode('5')) .. tostring(cjson.decode('5.5'))"),
    ev("return cjson.decode('null') == cjson.null"),
    ev('return bit.band(0xffffffff, 3.7)'),
    ev('return {bit.tobit(2^32+5), bit.tobit(-1), bit.bnot(0), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.rol(1, 33), bit.tohex(-1, -4), bit.bswap(0x12345678), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.lshift(1, 31), bit.tohex(255)}'),
    ev("return struct.pack('>I2', 258)"),
    ev("return {struct.unpack('>I2', ARGV[1])}", '0', Buffer.from([1, 2])),
    ev("return redis.sha1hex('abc')"),
    ev('return redis.sha1hex()'),
    ev("return redis.log(redis.LOG_WARNING, 'hi')"),
    ev("return redis.log(99, 'x')"),
    ev("return redis.log('x', 'x')"),
    ev('return redis.log(1)'),
    ev('return redis.setresp(4)'),
    ev('return redis.setresp(2)'),
    ev("return redis.acl_check_cmd('get', 'x')"),
    ev("return redis.acl_check_cmd('foo')"),
    ev('return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_NOTICE, redis.REPL_ALL}'),
    ev('return redis.replicate_commands()'),
    ev('return {math.random(100), math.random(1000), math.random(5,10)}'),
    ev('return tostring(math.random())'),
    ev('math.randomseed(42) return math.random(1000)'),
  ]);
});

test('errors: raised by redis.call, returned by redis.pcall, script and line', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['set', 'k', 'abc'],
    ev("return redis.call('foo')"),
    ev("return {pcall(redis.call, 'foo')}"),
    ev("local ok, e = pcall(redis.call, 'foo') return {ok, e}"),
    ev("local ok,e = pcall(redis.call,'incr','k'); return type(e)"),
    ev("local ok,e = pcall(redis.call,'incr','k'); return e"),
    ev("local ok,e = pcall(redis.call,'incr','k'); error(e)"),
    ev("local ok, e = pcall(error, {err='x'}) return type(e)"),
    ev("local ok, e = pcall(function() local t = {} t.x.y = 1 end) return e"),
    ev("local e = redis.pcall('incr','k'); return e"),
    ev("local e = redis.pcall('incr','k'); error(e)"),
    ev("local e = redis.pcall('incr','k'); return {e}"),
    ev("local r = redis.pcall('incr', 'k') return type(r)..tostring(r.err)"),
    ev("return redis.call('incr', 'k')"),
    ev('local t = {} t.x.y = 1'),
    ev('\n\nlocal t = {} \n t.x.y = 1'),
    ev("\n\nredis.call('incr','k')"),
    ev("error('x')"),
    ev("return error('x')"),
    ev("error('x', 0)"),
    ev("error({err='MY x'})"),
    ev("error({err='-MY x'})"),
    ev('error(nil)'),
    ev('error(5)'),
    ev('x = 1'),
    ev('return y'),
    ev('return 1 + nil'),
    ev("return 'a' .. nil"),
    ev('return #nil'),
    ev('local x = nil; x()'),
    ev('undefinedfn()'),
    ev('string.foo = 1'),
    ev('redis.call = nil'),
    ev("rawset(_G, 'x', 1)"),
    ev("return loadstring('x = 5')()"),
    ev("local t = setmetatable({}, {__index=function() error('boom') end}) return t.x"),
    ev('return ('),
    ev("return 'unfinished"),
    ev("return redis.call('client','foo')"),
    ev("return redis.call('get')"),
    ev('return redis.call()'),
    ev('return redis.call({})'),
    ev("return redis.call('set', 'a', {})"),
    ev("return redis.call('set', 'a', true)"),
    ev("return redis.call('set', 'a', nil)"),
    ev("return redis.call('subscribe','x')"),
    ev("return redis.call('eval','return 1', '0')"),
    ev("return redis.call('multi')"),
    ev("return redis.call('blpop','l', '0')"),
    ev("return redis.call('xread', 'block', '0', 'streams', 's', '$')"),
    ev("return redis.pcall('blpop','l', '0')"),
    ['eval_ro', "return redis.call('set','a','b')", '0'],
    ['eval_ro', "return redis.call('get','a')", '0'],
    ev("#!lua flags=no-writes\nreturn redis.call('set','a','b')"),
    ev('#!lua flags=foo\nreturn 1'),
    ev('#!python\nreturn 1'),
    ev('#!lua x=1\nreturn 1'),
    ev('#!lua\nreturn 1'),
    ev('#!lua'),
    ['eval_ro', '#!lua\nreturn 1', '0'],
  ]);
});

test('SELECT inside a script only affects the script; globals are read-only', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ev("return redis.call('select', '2')"),
    ev("redis.call('select', '2') return redis.call('set', 'dbtest', '1')"),
    ['exists', 'dbtest'],
    ['select', '2'],
    ['exists', 'dbtest'],
    ['select', '0'],
    { cmd: ev('local a = {} for k,v in pairs(redis) do table.insert(a, k) end table.sort(a) return a'), norm: sorted },
    ev('return _G.KEYS[1]', '1', 'k'),
  ]);
});

test('SCRIPT LOAD/EXISTS/FLUSH and EVALSHA', async () => {
  const p = await env.fresh();
  await runCases(p, [
    ['evalsha', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
    ['evalsha', 'fff', '0'],
    ['script', 'load', 'return 1'],
    ['script', 'load', 'return ('],
    ['script', 'exists', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'x'],
    ['evalsha', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
    ['evalsha', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB', '0'],
    ['evalsha', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'x'],
    ['evalsha_ro', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
    ev('return 2'),
    ['evalsha', '7f923f79fe76194c868d7e1d0820de36700eb649', '0'],
    ['script', 'flush', 'foo'],
    ['script', 'flush'],
    ['script', 'exists', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
    ['evalsha', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
    ['script', 'kill'],
    ['script', 'foo'],
    ['script'],
  ]);
});

test('MULTI with EVAL, and write commands inside scripts invalidate WATCH', async () => {
  const p = await env.fresh();
  const q = await env.get().pair();
  await runCases(p, [['watch', 'w'], ['multi'], ev("return redis.call('incr', 'c')"), ev("return redis.call('incr', 'c')")]);
  await runCases(q, [ev("return redis.call('set', 'w', 'x')")]);
  await runCases(p, [['exec'], ['multi'], ev("return redis.call('incr', 'c')"), ['incr', 'c'], ['exec']]);
});

test('a long script: BUSY for others, SCRIPT KILL stops it', async () => {
  const p = await env.fresh();
  const q = await env.get().pair();
  await both(q, ['config', 'set', 'busy-reply-threshold', '100']);
  const running = both(p, ev('local i = 0 while true do i = i + 1 end'));
  await new Promise((r) => setTimeout(r, 400));
  await runCases(q, [['get', 'x'], ['ping'], ['multi'], ['get', 'x'], ['exec'], ['script', 'kill']]);
  const r = await running;
  assert.equal(show(r.broker), show(r.redis));
  await runCases(q, [['get', 'x'], ['script', 'kill']]);
  // A script that wrote cannot be killed.
  const writing = both(p, ev("redis.call('set', 'x', '1') local t = redis.call('time')[1] + 1 while tonumber(redis.call('time')[1]) <= t do end return 'done'"));
  await new Promise((r) => setTimeout(r, 400));
  await runCases(q, [['script', 'kill']]);
  const w = await writing;
  assert.equal(show(w.broker), show(w.redis));
  await both(q, ['config', 'set', 'busy-reply-threshold', '5000']);
});

test('a script sees frozen time and expiry at its start', async () => {
  const p = await env.fresh();
  await both(p, ['set', 'e', 'v', 'px', '50']);
  const r = await both(p, ev("local a = redis.call('exists', 'e') local t = redis.call('time')[1] + 0 local deadline = t + 0 local s = 0 for i = 1, 3000000 do s = s + i end return {a, redis.call('exists', 'e')}"));
  assert.equal(show(r.broker), show(r.redis));
  assert.deepEqual(decode(r.broker)[0], [1, 1]);
});

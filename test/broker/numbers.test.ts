// Number parsing/formatting against values printed by redis-server 7.0 and
// glibc's printf (exact binary values, round half to even, x87 long double).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatG, formatLongDoubleHuman, ldAdd, parseDouble, parseLongDouble, string2ll } from '../../broker/util/numbers.ts';
import { globMatch } from '../../broker/util/glob.ts';

test('%.17g like glibc', () => {
  const cases: [number, string][] = [
    [0.1, '0.10000000000000001'],
    [1e20, '1e+20'],
    [1e-5, '1.0000000000000001e-05'],
    [123456789.123, '123456789.123'],
    [16, '16'],
    [0.1 + 0.2, '0.30000000000000004'],
    [2 ** -25, '2.9802322387695312e-08'], // a tie: round half to even
    [1 / 3, '0.33333333333333331'],
    [5e-324, '4.9406564584124654e-324'],
    [2 ** 60, '1.152921504606847e+18'],
    [-0, '-0'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [x, s] of cases) assert.equal(formatG(x, 17), s, String(x));
  assert.equal(formatG(123456789012345, 14), '1.2345678901234e+14');
  assert.equal(formatG(1e15, 14), '1e+15');
});

test('INCRBYFLOAT arithmetic in emulated long double', () => {
  const inc = (a: string, b: string) => formatLongDoubleHuman(ldAdd(parseLongDouble(a)!, parseLongDouble(b)!));
  assert.equal(inc('1000', '0.1'), '1000.09999999999999998');
  assert.equal(inc('0.1', '0.2'), '0.3');
  assert.equal(inc('0.3', '1e20'), '100000000000000000000');
  assert.equal(inc('100000000000000000000', '-1e20'), '0');
  assert.equal(inc('5.0e3', '2.0e2'), '5200');
  assert.equal(inc('5200', '1e-10'), '5200.00000000010000001');
  assert.equal(inc('0.1', '1e30'), '1000000000000000000024696061952');
  assert.equal(parseLongDouble('abc'), null);
  assert.equal(parseLongDouble(' 1'), null);
});

test('strtod with Redis checks', () => {
  assert.equal(parseDouble('0x10'), 16);
  assert.equal(parseDouble(' 1'), null);
  assert.equal(parseDouble('1e400'), null);
  assert.equal(parseDouble('1e-400'), null);
  assert.equal(parseDouble('inf'), Infinity);
  assert.equal(parseDouble('-Infinity'), -Infinity);
  assert.equal(parseDouble('.5'), 0.5);
  assert.equal(parseDouble('5.'), 5);
  assert.equal(parseDouble('nan'), null);
  assert.equal(parseDouble(''), null);
});

test('string2ll is strict', () => {
  assert.equal(string2ll('9223372036854775807'), 9223372036854775807n);
  assert.equal(string2ll('9223372036854775808'), null);
  assert.equal(string2ll('-9223372036854775808'), -9223372036854775808n);
  for (const bad of ['01', '+1', '-0', ' 1', '1 ', '', '-', '1.0']) assert.equal(string2ll(bad), null, bad);
});

test('glob matching as stringmatchlen', () => {
  assert.ok(globMatch('h?llo', 'hello'));
  assert.ok(globMatch('h*llo', 'heeeello'));
  assert.ok(globMatch('h[ae]llo', 'hallo'));
  assert.ok(!globMatch('h[^e]llo', 'hello'));
  assert.ok(globMatch('h[a-b]llo', 'hbllo'));
  assert.ok(globMatch('h\\*llo', 'h*llo'));
  assert.ok(!globMatch('h\\*llo', 'hallo'));
  assert.ok(globMatch('*', 'anything'));
  assert.ok(globMatch('a*b*c', 'aXXbYYc'));
  assert.ok(!globMatch('a*b*c', 'aXXbYY'));
  assert.ok(globMatch('HELLO', 'hello', true));
});

// What a client's joins are counted under: IPv4 by address, IPv6 by its /64 (one home or host
// owns a whole /64), and the token bucket the hub keeps in memory when it owns its store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey, memoryBuckets } from '../../workshop/limits.ts';

test('IPv4 addresses, and IPv4-mapped IPv6 ones, are counted by address', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(addressKey('::FFFF:1.2.3.4'), '1.2.3.4');
  assert.equal(addressKey('::ffff:0102:0304'), '1.2.3.4', 'the hex spelling of a mapped address');
  assert.equal(addressKey('0:0:0:0:0:ffff:1.2.3.4'), '1.2.3.4');
  assert.notEqual(addressKey('203.0.113.7'), addressKey('203.0.113.8'));
});

test('IPv6 addresses are counted by their /64, however they are written', () => {
  const key = addressKey('2001:db8:aa:bb::1');
  assert.equal(key, '2001:db8:aa:bb::/64');
  for (const same of ['2001:db8:aa:bb:ffff:1:2:3', '2001:0DB8:00aa:00bb:0000:0000:0000:0002', '2001:db8:aa:bb::dead:beef', '2001:db8:aa:bb::1%eth0', '2001:db8:aa:bb::7%en0'])
    assert.equal(addressKey(same), key, same);
  assert.notEqual(addressKey('2001:db8:aa:bc::1'), key, 'the next /64 is another network');
  assert.equal(addressKey('2001:db8::'), '2001:db8:0:0::/64', 'a compressed /64 part');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), addressKey('fe80::2%wlan0'), 'a zone id is not part of the address');
  assert.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64', 'an IPv4 tail in a non-mapped address');
});

test('something that is not an IP address is counted as it is', () => {
  assert.equal(addressKey('?'), '?');
  assert.equal(addressKey('2001:db8::1::2'), '2001:db8::1::2');
});

test('a memory bucket allows its burst, then refills at its rate, per key', () => {
  const b = memoryBuckets();
  const rate = { burst: 2, perSecond: 0.5 };
  assert.equal(b.take('a', rate, 0), 0);
  assert.equal(b.take('a', rate, 0), 0);
  assert.equal(b.take('a', rate, 0), 2, 'the third waits two seconds for a token');
  assert.equal(b.take('b', rate, 0), 0, 'another key has its own bucket');
  assert.equal(b.take('a', rate, 2000), 0);
});

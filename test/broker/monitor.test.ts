// Differential test: MONITOR lines (timestamps and client ports normalized).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { both, useDifferential } from './harness.ts';

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

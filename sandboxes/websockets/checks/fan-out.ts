// Step 4: participants of one room on different instances hear each other, through the
// broker; another room hears nothing; nobody gets a message twice.
import { check, Fail, freshRoom, join, log, sleep } from './lib.ts';

await check(async () => {
  const room = freshRoom('fan');
  const other = freshRoom('other');
  const a = await join('a', room, 'A');
  const b = await join('b', room, 'B');
  const c = await join('b', other, 'C');
  log(`A joined #${room} on chat-a, B the same room on chat-b, C #${other} on chat-b`);

  const fromA = `dipping sauce ${Math.random().toString(36).slice(2, 7)}`;
  a.say(fromA);
  if (!(await b.waitFor((e) => e.type === 'message' && e.text === fromA, 3000)))
    throw new Fail(`A said "${fromA}" on chat-a, and B, in the same room on chat-b, never heard it: the in-memory layer only reaches this process's sockets. Publish through the broker.`);
  log('B (chat-b) heard A (chat-a)');
  const fromB = `and wine ${Math.random().toString(36).slice(2, 7)}`;
  b.say(fromB);
  if (!(await a.waitFor((e) => e.type === 'message' && e.text === fromB, 3000)))
    throw new Fail(`B said "${fromB}" on chat-b, and A on chat-a never heard it.`);
  log('A (chat-a) heard B (chat-b)');
  if (!a.seen('join', (e) => e.name === 'B').length) throw new Fail('A never heard that B joined: join and leave events should travel through the layer too.');

  await sleep(500);
  for (const [who, text] of [[a, fromA], [b, fromA], [a, fromB], [b, fromB]] as const) {
    const copies = who.seen('message', (e) => e.text === text).length;
    if (copies > 1) throw new Fail(`${who.name} received "${text}" ${copies} times: deliver each published event once (from the subscription), not also directly.`);
  }
  if (c.seen('message').length) throw new Fail(`C, in #${other}, received a message from #${room}: publish on a channel per room.`);
  b.leave();
  if (!(await a.waitFor((e) => e.type === 'leave' && e.name === 'B', 3000))) throw new Fail('B left on chat-b, and A on chat-a was not told.');
  log('A heard B leave; C heard nothing');
  return 'Rooms span both instances: messages, joins and leaves cross through the broker, once each.';
});

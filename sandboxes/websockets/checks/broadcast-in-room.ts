// Step 1: a message reaches everyone in its room, sender included, and nobody else.
import { check, Fail, freshRoom, join, log, sleep } from './lib.ts';

await check(async () => {
  const room = freshRoom('r1');
  const other = freshRoom('r2');
  const ana = await join('a', room, 'Ana');
  const ben = await join('a', room, 'Ben');
  const cai = await join('a', other, 'Cai');
  log(`Ana and Ben joined #${room}, Cai joined #${other}, all on chat-a`);

  const text = `spinach? ${Math.random().toString(36).slice(2, 7)}`;
  ana.say(text);
  log(`Ana says "${text}"`);
  const isIt = (e: { type: string; text?: string }) => e.type === 'message' && e.text === text;
  if (!(await ben.waitFor(isIt))) throw new Fail(`Ben, in the same room as Ana, never received "${text}": receive() must send the message to the room.`);
  if (!(await ana.waitFor(isIt))) throw new Fail(`Ana did not get her own message back: send it to the whole room, sender included, so every screen shows the same list.`);
  await sleep(400); // time for a stray copy to arrive
  if (cai.seen('message').some(isIt)) throw new Fail(`Cai, in #${other}, received Ana's message from #${room}: receive() sends to every socket of the server instead of the room's group (layer.groupSend).`);
  const copies = ben.seen('message').filter(isIt).length;
  if (copies !== 1) throw new Fail(`Ben received Ana's message ${copies} times; once is right.`);
  log('Ben got it once; Cai, in another room, got nothing');
  return 'Messages reach everyone in their room, and nobody outside it.';
});

// Step 6: every message carries an id from its room's stream; a participant that comes back,
// to either instance, with the last id it saw gets exactly the messages it missed, in order,
// once, and then the live ones, even while the room keeps talking; a room keeps about its
// last 100 messages.
import { check, Fail, freshRoom, join, log, sleep, type Event, type Instance, type Participant } from './lib.ts';

const STREAM_ID = /^\d+-\d+$/;
/** Messages Host says while Guest is away, at most, in the rounds where the room keeps talking. */
const AWAY_MAX = 80;

/** Whether stream id a ("ms-seq") comes after b. */
function isAfter(a: string, b: string): boolean {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map((part) => BigInt(part));
  const [bMs = 0n, bSeq = 0n] = b.split('-').map((part) => BigInt(part));
  return aMs > bMs || (aMs === bMs && aSeq > bSeq);
}

const messages = (p: Participant) => p.seen('message');
const quote = (text: string) => `"${text}"`;
const tag = Math.random().toString(36).slice(2, 6);

/** Waits until p has received a message with each of these texts; returns those events, in the order given. */
async function heard(p: Participant, texts: string[], ms: number): Promise<(Event | undefined)[]> {
  const deadline = Date.now() + ms;
  for (const text of texts) await p.waitFor((e) => e.type === 'message' && e.text === text, Math.max(0, deadline - Date.now()));
  return texts.map((text) => messages(p).find((e) => e.text === text));
}

/**
 * What is wrong with what a participant that came back received, given the texts it should
 * have received (in order, once each), the ones it had already seen, and the id it asked after.
 */
function compare(got: string[], expected: string[], seenBefore: string[]): string | null {
  const again = got.find((t) => seenBefore.includes(t));
  if (again !== undefined) return `received ${quote(again)} again, which it had already seen`;
  const missing = expected.filter((t) => !got.includes(t));
  const twice = expected.find((t) => got.filter((g) => g === t).length > 1);
  if (twice !== undefined) return `received ${quote(twice)} ${got.filter((g) => g === twice).length} times`;
  if (missing.length) return `never received ${missing.length} of the ${expected.length} messages (${missing.slice(0, 2).map(quote).join(', ')}${missing.length > 2 ? ', …' : ''})`;
  const wrong = expected.findIndex((t, i) => got[i] !== t);
  if (wrong >= 0) return `received ${quote(got[wrong]!)} where ${quote(expected[wrong]!)} belonged: the messages came out of order`;
  return null;
}

await check(async () => {
  const room = freshRoom('resume');
  const host = await join('a', room, 'Host');
  const first = await join('b', room, 'Guest');
  log(`Host (chat-a) and Guest (chat-b) are in #${room}`);

  // 1. Every message has an id: the same for everyone who receives it, rising in the order said.
  const before = [1, 2, 3].map((i) => `before ${i} ${tag}`);
  for (const text of before) host.say(text);
  const seen = await heard(first, before, 3000);
  if (seen.some((e) => !e)) throw new Fail(`Guest (chat-b) did not hear Host's messages within 3 s: the room must work as at the end of step 5.`);
  for (const e of seen as Event[])
    if (typeof e.id !== 'string' || !STREAM_ID.test(e.id))
      throw new Fail(`Guest received ${quote(e.text!)} with ${e.id === undefined ? 'no id' : `the id ${JSON.stringify(e.id)}`}: give every message the id XADD returns for it in the room's stream (record() in history.ts), and send the message with it.`);
  const ids = (seen as Event[]).map((e) => e.id!);
  for (let i = 1; i < ids.length; i++)
    if (!isAfter(ids[i]!, ids[i - 1]!)) throw new Fail(`Host said ${quote(before[i - 1]!)} then ${quote(before[i]!)}, and their ids are ${ids[i - 1]} then ${ids[i]}: ids must rise in the order messages are said. Let the room's stream choose them (XADD with *).`);
  const hostSaw = await heard(host, before, 3000);
  hostSaw.forEach((e, i) => {
    if (e?.id !== ids[i]) throw new Fail(`Host (chat-a) received ${quote(before[i]!)} with the id ${e?.id ?? '(none)'}, Guest (chat-b) with ${ids[i]}: a message's id is given once, when it is kept, and travels with it.`);
  });
  log(`each message has an id from the stream (${ids.join(', ')})`);

  // 2. Away and back, to the other instance: exactly what was said meanwhile, then the live ones.
  let last = ids.at(-1)!;
  first.socket.terminate();
  await first.closed;
  const missed = [1, 2, 3, 4, 5].map((i) => `while away ${i} ${tag}`);
  for (const text of missed) host.say(text);
  if ((await heard(host, missed, 3000)).some((e) => !e)) throw new Fail('Host did not hear its own messages: the room must work as at the end of step 5.');
  log(`Guest dropped its connection; Host said ${missed.length} messages meanwhile`);
  const back = await join('a', room, 'Guest', { after: last });
  const asked = `Guest reconnected to chat-a (it was on chat-b) asking for the messages after ${last}, and`;
  await heard(back, missed, 3000);
  const live = `live ${tag}`;
  host.say(live);
  await heard(back, [live], 3000);
  await sleep(300);
  const got = messages(back).map((e) => e.text!);
  if (got.includes(before.at(-1)!))
    throw new Fail(`${asked} received ${quote(before.at(-1)!)} again, the message with that very id: start after it, XRANGE from "(" followed by the id.`);
  if (!missed.some((t) => got.includes(t)))
    throw new Fail(`${asked} received none of the ${missed.length} messages Host said while it was away: when the page gives an id, have connect() send the room's messages after it (since() in history.ts, XRANGE on the room's stream), before the live ones.`);
  const problem = compare(got, [...missed, live], before);
  if (problem) throw new Fail(`${asked} ${problem}. Expected the ${missed.length} missed messages, oldest first, then the live one, each once.`);
  log(`Guest came back on the other instance and received the ${missed.length} missed messages in order, then the live one`);

  // 3. The same while the room keeps talking: live messages arrive during the replay, and
  //    must neither overtake it, nor be lost, nor come twice. Host talks in a steady stream from
  //    before Guest's reconnect until after Guest is welcomed, so messages reach the room while
  //    Guest's server reads the stream and sends the replay, however fast or slow this machine
  //    is (a burst said all at once could be over before the reconnect began). The window is a
  //    round trip to the broker, so a round can miss it: eight rounds, alternating instances.
  let current: Participant = back;
  const instances: Instance[] = ['b', 'a', 'b', 'a', 'b', 'a', 'b', 'a'];
  for (const [round, instance] of instances.entries()) {
    last = messages(current).at(-1)!.id!;
    current.socket.terminate();
    await current.closed;
    const burst: string[] = [];
    const say = () => {
      const text = `busy ${round + 1}.${burst.length + 1} ${tag}`;
      burst.push(text);
      host.say(text);
    };
    // Ten kept before Guest's server subscribes: they come only from the replay, so live
    // messages sent ahead of it show as out of order, not merely as a second copy.
    for (let i = 0; i < 10; i++) say();
    if ((await heard(host, [...burst], 3000)).some((e) => !e)) throw new Fail('Host did not hear its own messages: the room must work as at the end of step 5.');
    const reconnecting = join(instance, room, 'Guest', { after: last });
    let answered = false;
    reconnecting.then(
      () => (answered = true),
      () => (answered = true),
    );
    // At most AWAY_MAX said before Guest is welcomed: the room keeps about its last 100.
    while (!answered && burst.length < AWAY_MAX) {
      say();
      await sleep(1);
    }
    const again = await reconnecting;
    for (let i = 0; i < 30; i++) {
      say();
      await sleep(1);
    }
    if ((await heard(host, burst, 5000)).some((e) => !e)) throw new Fail('Host did not hear all of its own messages: the room must work as at the end of step 5.');
    await heard(again, [burst.at(-1)!], 3000);
    await sleep(300);
    const got = messages(again).map((e) => e.text!);
    const problem = compare(got, burst, [...before, ...missed, live]);
    // First copies out of order: live messages overtook the replay. In order, with second
    // copies after them: the live copies of replayed messages were let through.
    const firsts = got.filter((t, i) => got.indexOf(t) === i);
    const overtaken = firsts.some((t, i) => i > 0 && burst.indexOf(t) < burst.indexOf(firsts[i - 1]!));
    const fix = /never received/.test(problem ?? '')
      ? 'Join the room (groupAdd) before reading the stream, so that nothing falls between the two'
      : overtaken
        ? 'Live messages that arrive during the replay must wait until it is sent (hold them in deliver())'
        : 'A message kept just before the replay read the stream also arrives live: drop live messages whose id is not after the last one the replay sent';
    if (problem) throw new Fail(`While Host kept talking, Guest reconnected to chat-${instance} asking for the messages after ${last}, and ${problem}. ${fix}.`);
    current = again;
  }
  log(`${instances.length} times, Guest came back while Host kept talking, and got each message once, in order`);

  // 4. The history is bounded: a room keeps about its last 100 messages, not everything.
  const long = freshRoom('long');
  const talker = await join('a', long, 'Talker');
  const said = Array.from({ length: 300 }, (_, i) => `message ${i + 1} ${tag}`);
  for (const text of said) talker.say(text);
  const echoed = await heard(talker, said, 10_000);
  if (echoed.some((e) => !e)) throw new Fail('Talker did not hear its own 300 messages within 10 s.');
  const late = await join('b', long, 'Late', { after: echoed[0]!.id! });
  await heard(late, [said.at(-1)!], 3000);
  await sleep(300);
  const replayed = messages(late);
  const question = `Late asked for the messages after the first of 300 in #${long}`;
  if (replayed.at(-1)?.text !== said.at(-1)) throw new Fail(`${question} and did not receive the newest one: the history must keep the latest messages.`);
  if (replayed.length >= 299) throw new Fail(`${question} and received all ${replayed.length}: the room's stream keeps every message for ever. Trim it as you add: XADD with MAXLEN ~ 100.`);
  if (replayed.length < 100) throw new Fail(`${question} and received only ${replayed.length}: keep at least the last 100 (MAXLEN ~ 100 keeps a few more, never fewer).`);
  log(`after 300 messages, the room kept its last ${replayed.length}`);
  return 'Messages carry their stream id; a participant that comes back to either instance gets what it missed, in order and once, before the live ones; a room keeps about its last 100.';
});

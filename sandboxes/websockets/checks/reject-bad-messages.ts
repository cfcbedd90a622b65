// Step 5: an oversized, malformed or binary message closes its sender's socket with the
// right code; nothing of it reaches the room, and the room carries on.
import { check, Fail, freshRoom, join, log, sleep, type Participant } from './lib.ts';

const MEANING: Record<number, string> = { 1003: 'unsupported data', 1005: 'no code', 1006: 'dropped without a close frame', 1007: 'invalid payload', 1009: 'message too big' };
const describe = (code: number) => `${code} (${MEANING[code] ?? 'other'})`;

await check(async () => {
  const room = freshRoom('bad');
  const host = await join('a', room, 'Host');
  const guest = await join('b', room, 'Guest');
  log(`Host (chat-a) and Guest (chat-b) are in #${room}`);

  // Each case breaks one rule and only that rule, so no other rule can refuse it for you.
  // Big is a short, valid chat message padded with JSON whitespace to 10 KB: only maxPayload
  // (MAX_MESSAGE_BYTES) can refuse it. Long is 600 characters in a frame well under 4 KB:
  // only the text-length rule can.
  const cases: { name: string; what: string; send: (p: Participant) => void; code: number }[] = [
    { name: 'Big', what: 'a 10 KB frame (a short message padded with spaces; only MAX_MESSAGE_BYTES refuses it)', code: 1009, send: (p) => p.socket.send(`${JSON.stringify({ type: 'message', text: 'BIG' })}${' '.repeat(10 * 1024)}`) },
    { name: 'Long', what: 'a 600-character text (in a frame under 4 KB)', code: 1009, send: (p) => p.socket.send(JSON.stringify({ type: 'message', text: `LONG${'y'.repeat(596)}` })) },
    { name: 'Garbage', what: 'text that is not JSON', code: 1007, send: (p) => p.socket.send('}{ GARBAGE') },
    { name: 'Shape', what: 'JSON of the wrong shape ({"type": "SHAPE", "text": 42})', code: 1007, send: (p) => p.socket.send(JSON.stringify({ type: 'SHAPE', text: 42 })) },
    { name: 'Typeless', what: 'a text without type "message" ({"text": "TYPELESS"})', code: 1007, send: (p) => p.socket.send(JSON.stringify({ text: 'TYPELESS' })) },
    { name: 'Empty', what: 'an empty text ({"type": "message", "text": ""})', code: 1007, send: (p) => p.socket.send(JSON.stringify({ type: 'message', text: '' })) },
    { name: 'Blank', what: 'a text of spaces only ({"type": "message", "text": "  "})', code: 1007, send: (p) => p.socket.send(JSON.stringify({ type: 'message', text: '  ' })) },
    { name: 'Binary', what: 'a binary frame', code: 1003, send: (p) => p.socket.send(Buffer.from('BINARY\u0000\u00ff')) },
  ];
  for (const c of cases) {
    const sender = await join('a', room, c.name);
    c.send(sender);
    const closed = await sender.closedWithin(2000);
    if (!closed) throw new Fail(`${c.name} sent ${c.what} and is still connected: close the socket with ${describe(c.code)}.`);
    if (closed.code !== c.code) throw new Fail(`${c.name} sent ${c.what}; the server closed with ${describe(closed.code)}, expected ${describe(c.code)}.`);
    log(`${c.what}: closed with ${describe(closed.code)}${closed.reason ? ` "${closed.reason}"` : ''}`);
  }
  await sleep(300);
  for (const p of [host, guest]) {
    // Each bad sender sent nothing else: any message from one of them is a bad message let through.
    const leaked = p.seen('message').find((e) => cases.some((c) => c.name === e.name));
    if (leaked) throw new Fail(`${p.name} received ${leaked.name}'s bad message ("${(leaked.text ?? '').slice(0, 40)}…"): reject it before it reaches the room.`);
    if (p.isClosed) throw new Fail(`${p.name}, who sent nothing wrong, was disconnected.`);
  }
  // The limits must not refuse what a reader may say: 500 characters (the limit), two bytes
  // each in UTF-8, in a frame of about 1 KB.
  const full = `${'é'.repeat(490)}${Math.random().toString(36).slice(2, 12).padEnd(10, '0')}`;
  const fullSender = await join('a', room, 'Full');
  fullSender.say(full);
  if (!(await guest.waitFor((e) => e.type === 'message' && e.name === 'Full' && e.text === full, 3000)))
    throw new Fail(fullSender.isClosed
      ? `Full sent a 500-character message (the limit, about 1 KB) and was disconnected with ${describe((await fullSender.closed).code)}: up to MAX_TEXT_LENGTH characters is allowed.`
      : 'Full sent a 500-character message (the limit, about 1 KB) and Guest never received it: up to MAX_TEXT_LENGTH characters is allowed.');
  const after = `still here ${Math.random().toString(36).slice(2, 7)}`;
  host.say(after);
  if (!(await guest.waitFor((e) => e.type === 'message' && e.text === after, 3000))) throw new Fail('After the bad messages, the room stopped working: Guest did not hear Host.');
  return 'Bad messages close their sender (1009, 1007, 1003); a 500-character message still goes through, and the room carries on.';
});

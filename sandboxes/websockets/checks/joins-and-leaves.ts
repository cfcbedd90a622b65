// Step 2: the room hears who joins and who leaves, however they leave; other rooms do not.
import { check, Fail, freshRoom, join, log } from './lib.ts';

await check(async () => {
  const room = freshRoom('jl');
  const other = freshRoom('elsewhere');
  const host = await join('a', room, 'Host');
  const outsider = await join('a', other, 'Outsider');
  log(`Host is in #${room}, Outsider in #${other}`);

  const guest = await join('a', room, 'Guest');
  if (!(await host.waitFor((e) => e.type === 'join' && e.name === 'Guest')))
    throw new Fail(`Guest joined #${room}, but Host, already in the room, was not told: send a {type: "join"} event to the room in connect().`);
  log('Host saw Guest join');

  guest.leave();
  if (!(await host.waitFor((e) => e.type === 'leave' && e.name === 'Guest')))
    throw new Fail(`Guest closed the socket, but Host was not told: send a {type: "leave"} event to the room in disconnect().`);
  log('Host saw Guest leave (closed the socket)');

  // A browser that vanishes sends no close frame: the server notices the TCP connection end.
  const crasher = await join('a', room, 'Crasher');
  crasher.socket.terminate();
  if (!(await host.waitFor((e) => e.type === 'leave' && e.name === 'Crasher')))
    throw new Fail(`Crasher's connection dropped without a close frame, and Host was not told: disconnect() runs however the socket ends; announce the leave there.`);
  log('Host saw Crasher leave (connection dropped)');

  const leaked = outsider.events.filter((e) => (e.type === 'join' || e.type === 'leave') && e.name !== 'Outsider');
  if (leaked.length) throw new Fail(`Outsider, in #${other}, was told that ${leaked[0]!.name} ${leaked[0]!.type === 'join' ? 'joined' : 'left'} #${room}: announce to the room's group only.`);
  return 'Joins and leaves are announced to the room, and only to it.';
});

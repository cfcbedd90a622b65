// The WebSockets checks blame the reader only for what the reader can fix: a chat server that
// is not running is the reader's to start; a runtime whose WebSocket client cannot talk to
// any server (a known WebContainer fault) is said to be that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const CHECK = fileURLToPath(new URL('../../sandboxes/websockets/checks/broadcast-in-room.ts', import.meta.url));
const BROKEN = new URL('../fixtures/broken-ws-client.mjs', import.meta.url).href;

/** Two ports nothing listens on. */
async function closedPorts(): Promise<[number, number]> {
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    ports.push((s.address() as { port: number }).port);
    await new Promise((r) => s.close(r));
  }
  return ports as [number, number];
}

test('a chat server that is not running is the reader’s to start', async () => {
  const [a, b] = await closedPorts();
  const r = spawnSync(process.execPath, [CHECK, String(a), String(b)], { encoding: 'utf8', timeout: 60_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  assert.equal(r.status, 1);
  assert.match(last, /Could not connect to chat-a .*is it running\?/);
  assert.doesNotMatch(last, /not your code/);
});

test('a runtime whose WebSocket client cannot reach any server is named as the cause, not the reader’s code', async () => {
  const [a, b] = await closedPorts();
  const r = spawnSync(process.execPath, ['--import', BROKEN, CHECK, String(a), String(b)], { encoding: 'utf8', timeout: 60_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  assert.equal(r.status, 1);
  assert.match(last, /This runtime's WebSocket client cannot talk even to a server the check starts itself/);
  assert.match(last, /not your code/);
  assert.match(last, /npm start/);
});

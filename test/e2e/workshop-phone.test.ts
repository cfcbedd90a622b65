// The instructor's console on a phone (390×844), as an instructor walking the room uses it:
// nothing is wider than the screen, each attendee is a card saying their step and its state
// in words, the stuck one is marked and found by sort and filter, and the help queue is one
// tap away and can be resolved there. On a wide screen the grid of steps is as it was.
// Attendees here are plain WebSocket clients speaking the hub's protocol (their lesson pages
// are test/e2e/workshop.test.ts's subject); the console is real Chromium.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import type { HubMessage } from '../../workshop/schema.ts';
import { freePort, launchBrowser, waitFor } from './harness.ts';
import { startHub, type HubProcess } from './workshop-harness.ts';

/** An attendee joined by code over the hub's WebSocket: what they send, what they were told. */
async function attendee(port: number, code: string, name: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/workshop/ws`);
  const got: HubMessage[] = [];
  ws.on('message', (d) => got.push(JSON.parse(String(d)) as HubMessage));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const send = (m: object) => ws.send(JSON.stringify(m));
  send({ type: 'hello', role: 'join', code, name });
  await waitFor(`${name} welcomed`, () => got.find((m) => m.type === 'welcome' || (m.type === 'error' && m.fatal)));
  const error = got.find((m) => m.type === 'error');
  if (error?.type === 'error') throw new Error(`${name} could not join: ${error.message}`);
  return { ws, got, send };
}

/** Every element sticking out of the screen sideways, and how wide the page scrolls. */
function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > width + 0.5 || r.left < -0.5) out.push(`<${el.tagName.toLowerCase()} class="${el.getAttribute('class') ?? ''}"> ${Math.round(r.left)}…${Math.round(r.right)} px`);
    }
    return { width, scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 8) };
  });
}

describe('the workshop console on a phone', { timeout: 5 * 60_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hotpot-e2e-workshop-phone-'));
  let hub: HubProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: WebSocket[] = [];
  let phone: Page;
  let code = '';
  let grace: Awaited<ReturnType<typeof attendee>>;
  const shots = process.env.HOTPOT_SCREENSHOTS;
  const card = (name: string) => phone.locator(`tbody tr[data-attendee="${name}"]`);

  before(async () => {
    hub = await startHub(await freePort(), '--db', join(tmp, 'workshop.db'));
    browser = await launchBrowser();
  });
  after(async () => {
    for (const ws of sockets) ws.close();
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await hub?.kill();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('a class on a phone: every attendee a card no wider than the screen, the stuck one marked with its step and state in words', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    contexts.push(context);
    phone = await context.newPage();
    await phone.goto(hub.link);
    await phone.getByLabel('Title').fill('Queues, walking the room');
    // Every lesson (the default): the wide grid would have a column for each of their steps.
    await phone.getByRole('checkbox', { name: /Async tasks/ }).waitFor();
    await phone.getByRole('button', { name: 'Create' }).click();
    code = await phone.getByTestId('workshop-code').innerText();

    const port = Number(new URL(hub.link).port);
    const linus = await attendee(port, code, 'Linus');
    grace = await attendee(port, code, 'Grace');
    const ada = await attendee(port, code, 'Ada');
    sockets.push(linus.ws, grace.ws, ada.ws);
    linus.send({ type: 'edit', lesson: 'async-tasks', step: 'make-it-async' });
    grace.send({ type: 'step', lesson: 'async-tasks', step: 'retries-with-backoff' });
    grace.send({ type: 'note', kind: 'help', text: 'the worker prints nothing' });
    // Three failed Checks on one step: stuck. The reason is long, with a path in it that cannot break at a space.
    const reason = 'no job was queued: /tmp/hotpot-sandbox-3f9a2c7e1b04d6/worker-output.log stayed empty after POST /signup';
    for (let i = 0; i < 3; i++) ada.send({ type: 'check', lesson: 'async-tasks', step: 'make-it-async', ok: false, reason });

    await card('Ada').locator('[data-stuck]').waitFor();
    await card('Grace').locator('.ws-sticky-help').waitFor();
    const wide = await overflow(phone);
    assert.deepEqual(wide.out, [], `nothing sticks out of the ${wide.width} px screen`);
    assert.ok(wide.scrollWidth <= wide.width, `the page scrolls ${wide.scrollWidth} px wide on a ${wide.width} px screen`);
    await card('Linus').getByText('editing').waitFor();

    const adaCard = card('Ada');
    const text = (await adaCard.innerText()).replace(/\s+/g, ' ');
    for (const words of ['⚑ stuck', '1. Move the email out of the request', '✗3 Check failed 3×', reason, 'on this step'])
      assert.ok(text.includes(words), `Ada’s card says “${words}”: ${text}`);
    const box = (await adaCard.boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `Ada’s card is within the screen: ${box.x}…${box.x + box.width}`);
    assert.ok(await adaCard.locator('[data-stuck]').isVisible());
    assert.equal(await phone.locator('td.ws-cell:visible').count(), 0, 'no step columns on a phone');
    if (shots) await phone.screenshot({ path: join(shots, 'workshop-console-390.png'), fullPage: true });
  });

  test('on the phone, sort and filter still find the stuck one', async () => {
    const names = () => phone.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-attendee')));
    assert.deepEqual(await names(), ['Linus', 'Grace', 'Ada'], 'in the order they joined');
    await phone.getByLabel('Sort').selectOption('stuck');
    await waitFor('Ada first', async () => (await names())[0] === 'Ada');
    await phone.getByLabel('Show').selectOption('stuck');
    await waitFor('only Ada', async () => JSON.stringify(await names()) === '["Ada"]');
    await card('Ada').scrollIntoViewIfNeeded();
    assert.ok(await card('Ada').isVisible());
    await phone.getByLabel('Show').selectOption('help');
    await waitFor('only Grace', async () => JSON.stringify(await names()) === '["Grace"]');
    await phone.getByLabel('Show').selectOption('all');
    await phone.getByLabel('Sort').selectOption('joined');
  });

  test('on the phone, the help queue is one tap away and a request is resolved there', async () => {
    // From the top of the console, where the class's summary is: its help count leads to the queue.
    await phone.evaluate(() => scrollTo(0, 0));
    await phone.getByRole('link', { name: '1 help' }).tap();
    const queue = phone.getByRole('list', { name: 'Help queue' });
    await waitFor('the help queue on screen', async () => {
      const b = await queue.boundingBox();
      return b && b.y >= 0 && b.y < 844;
    });
    const request = queue.getByRole('listitem').filter({ hasText: 'Grace' });
    assert.match(await request.innerText(), /the worker prints nothing/);
    const resolved = request.getByRole('button', { name: 'Resolved' });
    const b = (await resolved.boundingBox())!;
    assert.ok(b.x >= 0 && b.x + b.width <= 390 && b.height >= 20, `Resolved is on the screen and big enough to tap: ${JSON.stringify(b)}`);
    await resolved.tap();
    await phone.getByText('Nobody has asked for help.').waitFor();
    await waitFor('Grace told her note is down', () => grace.got.some((m) => m.type === 'attendee' && m.attendee.note === null));
    assert.equal(await card('Grace').locator('.ws-sticky-help').count(), 0);
  });

  test('on a wide screen the grid of steps is as it was: one column per step, the marks in their cells', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    contexts.push(context);
    const desk = await context.newPage();
    await desk.goto(hub.link);
    await desk.getByRole('listitem').filter({ hasText: code }).getByRole('button', { name: 'Open' }).click();
    const ada = desk.locator('tbody tr').filter({ has: desk.getByRole('rowheader', { name: /Ada/ }) });
    const cell = ada.locator('td[data-key="async-tasks/make-it-async"]');
    await cell.waitFor();
    assert.equal((await cell.innerText()).trim(), '✗3');
    assert.ok(await desk.getByRole('columnheader', { name: /Move the email out of the request/ }).isVisible());
    assert.equal(await desk.locator('td.ws-now:visible').count(), 0, 'no cards on a wide screen');
    const wide = await overflow(desk);
    assert.ok(wide.scrollWidth <= wide.width, `the page itself does not scroll sideways: ${wide.scrollWidth} px`);
    if (shots) await desk.screenshot({ path: join(shots, 'workshop-console-1440.png'), fullPage: true });
  });
});

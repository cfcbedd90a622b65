// The WebSockets lesson in real Chromium against the server `npm start` runs: every step's
// check fails on its starting files with its reason and passes on its solution; then, with
// the finished chat running, participants on the two instances talk across the broker, a
// room apart hears nothing, a pane whose server went away catches up once it is back, and the
// monitoring chart moves on its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanup, launchBrowser, openCourse, startCourse, waitFor, waitForRunning, type Course, workbenchOf } from './harness.ts';

const LESSON = '/lessons/websockets/';

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const others: BrowserContext[] = [];

const { workbench, button, check, applySolution } = workbenchOf(() => page, 120_000);
const pane = (port: string) => page.locator(`iframe[title="Sandbox preview: ${port}"]`);

/** Another reader: a fresh browser context with the course's cookie, on one preview page. */
async function participant(url: string): Promise<Page> {
  const other = await openCourse(browser, course);
  others.push(other.context);
  await other.page.goto(url);
  await other.page.locator('#status[data-state="open"]').waitFor({ timeout: 30_000 });
  return other.page;
}

/** A chat page's room, reached from the pane's address with the room and name changed. */
function roomUrl(paneUrl: string, room: string, name: string): string {
  const url = new URL(paneUrl);
  url.search = new URLSearchParams({ room, name }).toString();
  return url.href;
}

async function say(chat: Page, text: string) {
  await chat.getByRole('textbox', { name: 'Message' }).fill(text);
  await chat.getByRole('button', { name: 'Send' }).click();
}

const messageFrom = (chat: Page, name: string, text: string) => chat.locator(`#log li[data-type="message"][data-name="${name}"]`, { hasText: text });

describe('the WebSockets lesson, as a reader uses it', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    course = await startCourse();
    browser = await launchBrowser();
    ({ context, page } = await openCourse(browser, course));
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    await page.locator('.hp-workbench').waitFor();
  });
  after(async () => {
    for (const c of others) await c.close().catch(() => {});
    await context?.close();
    await browser?.close();
    await course?.stop();
    cleanup(course);
  });

  // What each starting point gets wrong, as the check tells the reader.
  const failures: Record<string, RegExp> = {
    'broadcast-in-room': /received Ana's message from/,
    'joins-and-leaves': /was not told/,
    heartbeats: /never received a ping/,
    'fan-out': /never heard it/,
    'reject-bad-messages': /10 KB frame .* is still connected/,
    'resume-after-reconnect': /received "before 1 \w+" with no id: give every message the id XADD returns/,
  };

  Object.entries(failures).forEach(([step, reason], i) => {
    test(`step ${i + 1} (${step}): Check fails on the starting files with its reason, and passes on the solution`, async () => {
      await page.locator('.hp-step-select select').selectOption({ index: i });
      const failed = await check();
      assert.equal(failed.verdict, 'fail', failed.reason);
      assert.match(failed.reason, reason);
      await applySolution();
      const passed = await check();
      assert.equal(passed.verdict, 'pass', passed.reason);
    });
  });

  test('the course map counts the lesson as done', async () => {
    // Progress lives in the reader's browser storage: a second tab of the same browser sees it.
    const map = await context.newPage();
    await map.goto(`${course.origin}/`);
    await waitFor('progress on the map', async () => /Done: all 6 steps passed/.test(await map.locator('li.lesson', { hasText: 'WebSockets' }).innerText()));
    await map.close();
  });

  test('with the finished chat running, the preview shows chat-a and chat-b side by side; participants on both talk across the broker, another room hears nothing', async () => {
    // The last step's solution is the finished chat.
    await page.locator('.hp-step-select select').selectOption({ index: Object.keys(failures).length - 1 });
    await applySolution();
    await button('Run').click();
    await waitForRunning(page);
    await pane('chat-a').waitFor({ timeout: 30_000 });
    await pane('chat-b').waitFor({ timeout: 30_000 });
    const left = page.frameLocator('iframe[title="Sandbox preview: chat-a"]');
    await left.locator('#status[data-state="open"]').waitFor({ timeout: 30_000 });
    assert.match(await left.locator('#status').innerText(), /instance a as A/);

    // Two more readers, in browser contexts of their own: Bea in the same room on chat-b, C in another room on chat-b.
    const bUrl = (await pane('chat-b').getAttribute('src'))!;
    const b = await participant(roomUrl(bUrl, 'hotpot', 'Bea'));
    assert.match(await b.locator('#status').innerText(), /instance b as Bea/);
    const c = await participant(roomUrl(bUrl, 'spinach', 'C'));
    // .first(): with a 1 s heartbeat, a loaded machine can miss a pong; Bea's page then rejoins by itself and A sees her join again.
    await left.locator('#log li[data-type="join"][data-name="Bea"]').first().waitFor({ timeout: 10_000 });

    await left.getByRole('textbox', { name: 'Message' }).fill('I forgot the dipping sauce');
    await left.getByRole('button', { name: 'Send' }).click();
    await messageFrom(b, 'A', 'I forgot the dipping sauce').waitFor({ timeout: 10_000 });
    assert.match(await messageFrom(b, 'A', 'dipping sauce').innerText(), /via a/, 'Bea, on chat-b, sees it came through chat-a');

    await say(b, 'Buying it now');
    await left.locator('#log li[data-type="message"][data-name="Bea"]', { hasText: 'Buying it now' }).waitFor({ timeout: 10_000 });

    await say(c, 'shrimp?');
    await messageFrom(c, 'C', 'shrimp?').waitFor({ timeout: 10_000 });
    // C's own message arrived, so anything from #hotpot sent before it would have too.
    assert.equal(await c.locator('#log li[data-type="message"]').count(), 1, 'C, in #spinach, hears only itself');
    assert.equal(await b.locator('#log li', { hasText: 'shrimp?' }).count(), 0, 'Bea, in #hotpot, does not hear #spinach');

    // The Broker tab has recorded the traffic since Run, while the preview was in front.
    await workbench().getByRole('tab', { name: 'Broker', exact: true }).click();
    const monitor = page.getByTestId('monitor');
    await waitFor('the subscriptions and the publish in MONITOR', async () => {
      const lines = await monitor.innerText();
      return /"subscribe" "chat:room:hotpot"/i.test(lines) && /"publish" "chat:room:hotpot" ".*dipping sauce/i.test(lines);
    }, 15_000);
    await workbench().getByRole('tab', { name: 'Preview', exact: true }).click();
  });

  test('when chat-b goes away, B\'s pane reconnects and shows what A said meanwhile, once each and in order', async () => {
    const left = page.frameLocator('iframe[title="Sandbox preview: chat-a"]');
    const right = page.frameLocator('iframe[title="Sandbox preview: chat-b"]');
    const sayIn = async (chat: typeof left, text: string) => {
      await chat.getByRole('textbox', { name: 'Message' }).fill(text);
      await chat.getByRole('button', { name: 'Send' }).click();
    };
    const shown = (chat: typeof left, text: string) => chat.locator('#log li[data-type="message"]', { hasText: text });
    // B has seen a message, so it has an id to come back with.
    await sayIn(left, 'Bring spinach?');
    await shown(right, 'Bring spinach?').waitFor({ timeout: 10_000 });

    await workbench().getByRole('tab', { name: /^chat-b\b/ }).click();
    await button('Kill chat-b').click();
    await right.locator('#status[data-state="closed"], #status[data-state="connecting"]').first().waitFor({ timeout: 15_000 });
    await workbench().getByRole('tab', { name: 'Preview', exact: true }).click();
    const meanwhile = ['And the dipping sauce', 'And a bottle of wine'];
    for (const text of meanwhile) {
      await sayIn(left, text);
      await shown(left, text).waitFor({ timeout: 10_000 });
    }

    await workbench().getByRole('tab', { name: /^chat-b\b/ }).click();
    await button('Restart chat-b').click();
    await workbench().getByRole('tab', { name: 'Preview', exact: true }).click();
    await right.locator('#log li', { hasText: /back on instance b: asked for the messages after \d+-\d+/ }).waitFor({ timeout: 60_000 });
    for (const text of meanwhile) await shown(right, text).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1000); // time for a second copy to arrive, if one were coming
    const log = await right.locator('#log li[data-type="message"]').allInnerTexts();
    for (const text of ['Bring spinach?', ...meanwhile])
      assert.equal(log.filter((l) => l.includes(text)).length, 1, `B's pane shows "${text}" once:\n${log.join('\n')}`);
    assert.ok(log.findIndex((l) => l.includes(meanwhile[0]!)) < log.findIndex((l) => l.includes(meanwhile[1]!)), `in the order A said them:\n${log.join('\n')}`);
  });

  test('the monitoring chart updates without a reload', async () => {
    const chat = await participant(roomUrl((await pane('chat-b').getAttribute('src'))!, 'hotpot', 'Watcher'));
    const monitor = chat.locator('#monitor');
    await monitor.locator('canvas').first().waitFor({ timeout: 15_000 });
    const samples = async () => Number(await monitor.getAttribute('data-samples'));
    const first = await samples();
    await waitFor('new samples to arrive over the socket', async () => (await samples()) >= first + 3, 15_000);
    await waitFor('the figures to count this instance\'s clients', async () => /instance b: [1-9]\d* connected/.test(await monitor.locator('.figures').innerText()), 15_000);
    // The index page draws the same feed, larger.
    await chat.getByRole('link', { name: 'All rooms' }).click();
    await chat.locator('#monitor canvas').first().waitFor({ timeout: 60_000 });
    const before = Number(await chat.locator('#monitor').getAttribute('data-samples'));
    await waitFor('the index page\'s chart to move', async () => Number(await chat.locator('#monitor').getAttribute('data-samples')) > before, 15_000);
  });
});

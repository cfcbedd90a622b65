// The hotpot analogy in the WebSockets lesson, in real Chromium: stepping through the story
// draws one arrow per step, and the sliders drive the comparison table.
// HOTPOT_PAGE and HOTPOT_DIST point it at another page or build (while developing).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { cleanup, launchBrowser, openCourse, startCourse, type Course } from './harness.ts';

const PAGE = process.env.HOTPOT_PAGE ?? '/lessons/websockets/';

describe('the hotpot analogy', { timeout: 3 * 60_000 }, () => {
  let course: Course;
  let browser: Browser;
  before(async () => {
    course = await startCourse(process.env.HOTPOT_DIST ? ['--dist', process.env.HOTPOT_DIST] : []);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await course?.stop();
    if (course) cleanup(course);
  });

  async function open(reducedMotion: 'reduce' | 'no-preference' = 'no-preference'): Promise<{ page: Page; hotpot: Locator; close(): Promise<void> }> {
    const { context, page } = await openCourse(browser, course);
    await page.emulateMedia({ reducedMotion });
    const response = await page.goto(`${course.origin}${PAGE}?runtime=local`);
    assert.equal(response?.status(), 200, `${PAGE} answered ${response?.status()}`);
    const hotpot = page.getByTestId('hotpot');
    // client:visible: the island hydrates once it is scrolled into view.
    await hotpot.scrollIntoViewIfNeeded();
    await page.locator('[data-testid="hotpot"][data-ready="true"]').waitFor({ timeout: 30_000 });
    return { page, hotpot, close: () => context.close() };
  }

  test('Next and Back step through the story: counter, caption and arrows follow', async () => {
    const { hotpot, close } = await open();
    const counter = hotpot.getByTestId('hotpot-step');
    const caption = hotpot.getByTestId('hotpot-caption');
    const arrows = hotpot.locator('svg [data-arrow]');
    const next = hotpot.getByRole('button', { name: 'Next', exact: true });
    const back = hotpot.getByRole('button', { name: 'Back', exact: true });

    assert.equal(await caption.getAttribute('aria-live'), 'polite');
    assert.match(await counter.innerText(), /^Step 1 of (\d+)$/);
    const total = Number((await counter.innerText()).match(/of (\d+)/)![1]);
    assert.equal(await arrows.count(), 1);
    assert.equal(await back.getAttribute('aria-disabled'), 'true', 'nothing before the first step');
    const first = await caption.innerText();

    await next.click();
    assert.equal(await counter.innerText(), `Step 2 of ${total}`);
    assert.equal(await arrows.count(), 2);
    const second = await caption.innerText();
    assert.notEqual(second, first);

    await next.click();
    assert.equal(await counter.innerText(), `Step 3 of ${total}`);
    assert.equal(await arrows.count(), 3);
    assert.notEqual(await caption.innerText(), second);

    await back.click();
    assert.equal(await counter.innerText(), `Step 2 of ${total}`);
    assert.equal(await caption.innerText(), second);
    assert.equal(await arrows.count(), 2);

    // Keyboard: Enter on the focused Next button steps on.
    await next.focus();
    await next.press('Enter');
    assert.equal(await counter.innerText(), `Step 3 of ${total}`);

    // At the end, Next is off but keeps the focus, and Back still works.
    while ((await next.getAttribute('aria-disabled')) !== 'true') await next.press('Enter');
    assert.equal(await counter.innerText(), `Step ${total} of ${total}`);
    assert.equal(await next.evaluate((b) => b === document.activeElement), true);
    await next.press('Enter');
    assert.equal(await counter.innerText(), `Step ${total} of ${total}`);
    assert.equal(await arrows.count(), total);
    await back.click();
    assert.equal(await counter.innerText(), `Step ${total - 1} of ${total}`);

    // The diagram says what it shows.
    assert.equal(await hotpot.getByRole('img', { name: /HTTP polling/ }).count(), 1);
    await close();
  });

  test('the poll interval slider changes the polling figures, never the WebSocket connection count', async () => {
    const { hotpot, close } = await open();
    const cell = (technique: string, figure: string) => hotpot.locator(`td[data-technique="${technique}"][data-figure="${figure}"]`);
    const slider = hotpot.getByLabel(/polls every/);
    assert.equal(await slider.getAttribute('type'), 'range');

    await slider.fill('10');
    const at10 = Number(await cell('polling', 'requests').innerText());
    await slider.fill('5');
    const at5 = Number(await cell('polling', 'requests').innerText());
    assert.ok(at10 > 0, `polling requests at 10 s: ${at10}`);
    assert.equal(at5, 2 * at10, 'polling twice as often: twice the requests');
    assert.equal(await cell('websocket', 'connections').innerText(), '1');

    await slider.fill('60');
    assert.ok(Number(await cell('polling', 'requests').innerText()) < at10);
    assert.equal(await cell('websocket', 'connections').innerText(), '1');

    // Keyboard: arrow keys move the slider too.
    await slider.focus();
    await slider.press('ArrowLeft');
    assert.equal(await slider.inputValue(), '59');

    // More news: more long-polling requests, still one WebSocket connection.
    const longPolls = Number(await cell('long-polling', 'requests').innerText());
    await hotpot.getByLabel(/per minute/).fill('30');
    assert.ok(Number((await cell('long-polling', 'requests').innerText()).replace(',', '')) > longPolls);
    assert.equal(await cell('websocket', 'connections').innerText(), '1');
    await close();
  });

  test('choosing WebSocket restarts the story on one open line and highlights its column', async () => {
    const { hotpot, close } = await open('reduce');
    await hotpot.getByRole('radio', { name: 'WebSocket' }).check();
    assert.match(await hotpot.getByTestId('hotpot-step').innerText(), /^Step 1 of \d+$/);
    assert.equal(await hotpot.locator('td.hpt-current[data-technique="websocket"]').count(), await hotpot.locator('tbody tr').count());
    assert.equal(await hotpot.locator('td.hpt-current:not([data-technique="websocket"])').count(), 0);
    const next = hotpot.getByRole('button', { name: 'Next', exact: true });
    for (let i = 0; i < 3; i++) await next.click();
    assert.equal(await hotpot.locator('[data-line]').getAttribute('data-line'), 'open');
    assert.equal(await hotpot.locator('svg [data-band]').count(), 1, 'one call, never hung up');
    assert.equal(await hotpot.locator('svg [data-kind="open"]').count(), 1);
    // Reduced motion: no travelling dot.
    assert.equal(await hotpot.locator('.hpt-token').isVisible(), false);
    await close();
  });
});

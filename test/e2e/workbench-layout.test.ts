// A workbench to stay in, in real Chromium at 1440×900 and on a phone: the sandbox pages fit
// the panes they get (the jobs table's State column in view, the live chart drawn in each chat
// pane), a pane can be maximised, the lesson folds away (focus mode), the split between the
// panes and focus mode are remembered across a reload, and the current step's instructions
// open from the workbench, on a phone too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanup, launchBrowser, openCourse, startCourse, waitFor, waitForRunning, type Course } from './harness.ts';

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const workbench = () => page.getByRole('region', { name: 'Workbench' });
const button = (name: string) => workbench().getByRole('button', { name, exact: true });
const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
/** A phone of its own (390×844, touch), closed even when the test fails. */
async function onPhone(use: (page: Page) => Promise<void>) {
  const phone = await openCourse(browser, course, { width: 390, height: 844 });
  try {
    await use(phone.page);
  } finally {
    await phone.context.close();
  }
}

async function runLesson(path: string) {
  await page.goto(`${course.origin}${path}?runtime=local`);
  await page.locator('.hp-controls:not([disabled])').waitFor();
  await button('Run').click();
  await waitForRunning(page);
}

describe('a workbench to stay in', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    course = await startCourse();
    browser = await launchBrowser();
    ({ context, page } = await openCourse(browser, course));
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await course?.stop();
    cleanup(course);
  });

  test('at 1440×900 the jobs table shows its State column inside the preview pane', async () => {
    await runLesson('/lessons/async-tasks/');
    // Run pressed first thing: the terminal shows the run's output, without the idle hint above it.
    const rows = page.locator('.hp-terminal:not([hidden]) .xterm-rows');
    await waitFor('the broker to log that it listens', async () => /listening/.test(await rows.innerText().catch(() => '')), 30_000);
    assert.doesNotMatch(await rows.innerText(), /Press Run/);
    const frame = page.frameLocator('iframe[title="Sandbox preview"]');
    const state = frame.locator('th', { hasText: 'State' });
    await state.waitFor({ timeout: 30_000 });
    const inFrame = await state.evaluate((th) => th.getBoundingClientRect().right <= document.documentElement.clientWidth);
    assert.ok(inFrame, 'the State header is within the pane without scrolling');
    await button('Stop').click();
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
  });

  test('at 1440×900 the live chart is drawn in each chat pane', async () => {
    await runLesson('/lessons/websockets/');
    for (const port of ['chat-a', 'chat-b']) {
      const chat = page.frameLocator(`iframe[title="Sandbox preview: ${port}"]`);
      const canvas = chat.locator('#monitor canvas').first();
      await canvas.waitFor({ timeout: 30_000 });
      const size = await canvas.evaluate((c: HTMLCanvasElement) => ({ w: c.getBoundingClientRect().width, h: c.getBoundingClientRect().height }));
      assert.ok(size.w > 50 && size.h > 20, `${port}'s chart is drawn: ${JSON.stringify(size)}`);
      assert.match(await chat.locator('#monitor .figures').innerText(), /connected · \d+ rooms? ·/);
    }
  });

  test('a pane can be maximised and restored', async () => {
    const before = await box('.hp-pane-preview');
    await workbench().getByRole('button', { name: 'Maximise the preview' }).click();
    await page.locator('.hp-pane-code').waitFor({ state: 'hidden', timeout: 5_000 });
    const max = await box('.hp-pane-preview');
    const whole = await box('.hp-panes');
    assert.ok(max.width > before.width * 1.5 && max.height > before.height * 1.5, `${JSON.stringify(before)} → ${JSON.stringify(max)}`);
    assert.ok(Math.abs(max.width - whole.width) < 4 && Math.abs(max.height - whole.height) < 4, 'the preview fills the panes');
    await workbench().getByRole('button', { name: 'Restore the panes' }).click();
    await page.locator('.hp-pane-code').waitFor({ state: 'visible', timeout: 5_000 });
    const back = await box('.hp-pane-preview');
    assert.ok(Math.abs(back.width - before.width) < 4, 'restored');
  });

  test('focus mode gives the workbench the whole window; the step stays under its instructions', async () => {
    await workbench().getByRole('button', { name: 'Hide the lesson' }).click();
    // Waits rather than reads once: the page re-renders after the click event returns.
    await page.locator('#lesson-prose').waitFor({ state: 'hidden', timeout: 5_000 });
    const wide = await box('.hp-workbench');
    assert.ok(wide.width > 1400, `the workbench is ${wide.width} px wide`);
    await workbench().getByRole('button', { name: /^Step 1 instructions$/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Step 1 instructions' });
    assert.match(await dialog.innerText(), /layer\.groupSend/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await workbench().getByRole('button', { name: 'Show the lesson' }).click();
    await page.locator('#lesson-prose').waitFor({ state: 'visible', timeout: 5_000 });
  });

  test('the split between terminal and preview is remembered across a reload', async () => {
    await button('Stop').click();
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    const gutter = page.locator('.hp-pane-bottom > .gutter');
    const g = (await gutter.boundingBox())!;
    await page.mouse.move(g.x + g.width / 2, g.y + g.height / 2);
    await page.mouse.down();
    await page.mouse.move(g.x - 150, g.y + g.height / 2, { steps: 8 });
    await page.mouse.up();
    const dragged = (await box('.hp-pane-terminal')).width;
    await page.reload();
    await page.locator('.hp-controls:not([disabled])').waitFor();
    await waitFor('the remembered split', async () => Math.abs((await box('.hp-pane-terminal')).width - dragged) < 6, 10_000);
  });

  test('focus mode is remembered across a reload, and so is showing the lesson again', async () => {
    const reload = async () => {
      await page.reload();
      await page.locator('.hp-controls:not([disabled])').waitFor();
    };
    // What the page says about focus mode once its HTML is parsed, before any module script runs.
    await page.addInitScript(() => {
      document.addEventListener('readystatechange', () => {
        if (document.readyState === 'interactive') (globalThis as { __focusAtParse?: boolean }).__focusAtParse = document.documentElement.classList.contains('hp-focus');
      });
    });
    const focusAtParse = () => page.evaluate(() => (globalThis as { __focusAtParse?: boolean }).__focusAtParse);
    await workbench().getByRole('button', { name: 'Hide the lesson' }).click();
    await page.locator('#lesson-prose').waitFor({ state: 'hidden', timeout: 5_000 });
    await reload();
    assert.equal(await focusAtParse(), true, 'the lesson is folded before the workbench wakes, so it never flashes up');
    await page.locator('#lesson-prose').waitFor({ state: 'hidden', timeout: 5_000 });
    const toggle = workbench().getByRole('button', { name: 'Show the lesson' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    await page.locator('#lesson-prose').waitFor({ state: 'visible', timeout: 5_000 });
    await reload();
    assert.equal(await focusAtParse(), false);
    assert.equal(await page.locator('#lesson-prose').isVisible(), true);
  });

  test('on a phone the workbench below the lesson wakes only when reached; "Open step 2" pressed before takes the reader there, on step 2', async () => {
    await onPhone(async (page) => {
      await page.goto(`${course.origin}/lessons/async-tasks/?runtime=local`);
      await page.locator('h1').waitFor();
      await page.waitForTimeout(1500);
      const alive = () => page.evaluate(() => (globalThis as { __hotpot?: unknown }).__hotpot !== undefined);
      assert.equal(await alive(), false, 'the workbench is not hydrated while the reader reads the top of the lesson');
      const open = page.getByRole('button', { name: 'Open step 2 in the workbench' });
      await open.scrollIntoViewIfNeeded();
      await open.click();
      await waitFor('the workbench to come alive', alive, 60_000);
      await waitFor('step 2 selected', async () => (await page.locator('.hp-step-select select').inputValue()) === '1', 30_000);
      const box = (await page.locator('.workbench-column').boundingBox())!;
      assert.ok(box.y < 844 && box.y + box.height > 0, `the workbench is in view (top at ${Math.round(box.y)} px)`);
    });
  });

  test('on a phone, focus mode left on: the workbench wakes without scrolling and fills the screen below the header', async () => {
    await onPhone(async (page) => {
      await page.goto(`${course.origin}/lessons/async-tasks/?runtime=local`);
      await page.locator('.hp-workbench').scrollIntoViewIfNeeded();
      await page.locator('.hp-controls:not([disabled])').waitFor();
      await page.getByRole('region', { name: 'Workbench' }).getByRole('button', { name: 'Hide the lesson' }).click();
      await page.locator('#lesson-prose').waitFor({ state: 'hidden', timeout: 5_000 });
      await page.reload();
      // No scrolling this time: the workbench is what the reader sees, so it wakes by itself.
      await page.locator('.hp-controls:not([disabled])').waitFor({ timeout: 30_000 });
      assert.equal(await page.evaluate(() => scrollY), 0);
      const bench = (await page.locator('.hp-workbench').boundingBox())!;
      const bottom = Math.round(bench.y + bench.height);
      assert.ok(Math.abs(bottom - 844) <= 2, `the workbench ends at the screen's bottom edge: ${bottom} px`);
      assert.ok((await page.evaluate(() => document.documentElement.scrollHeight)) <= 846, 'nothing below it to scroll to');
      // The terminal, opened before any run, says what it is for rather than standing black.
      await page.getByRole('tablist', { name: 'Workbench panes' }).getByRole('tab', { name: 'Terminal' }).click();
      const rows = page.locator('.hp-terminal:not([hidden]) .xterm-rows');
      await waitFor('the terminal to say what it is for', async () => /Press Run to start \w+;\s+its output appears here/.test(await rows.innerText().catch(() => '')), 15_000);
    });
  });

  test('on a phone the current step\'s instructions open from the workbench', async () => {
    await onPhone(async (page) => {
      await page.goto(`${course.origin}/lessons/async-tasks/?runtime=local`);
      // As a reader on a phone does: scroll down to the workbench, and use it once it is ready.
      await page.locator('.hp-workbench').scrollIntoViewIfNeeded();
      await page.locator('.hp-controls:not([disabled])').waitFor();
      const bench = page.getByRole('region', { name: 'Workbench' });
      await bench.getByRole('button', { name: /^Step 1 instructions$/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Step 1 instructions' });
      assert.match(await dialog.innerText(), /queue\.add\('welcome'/);
      const d = (await dialog.boundingBox())!;
      assert.ok(d.width <= 390, 'the instructions fit the phone');
    });
  });
});

// Choosing where a sandbox runs, in Chromium. Under `npm start` the local runner that served
// the page runs it at once, and the workbench offers the browser instead. WebContainer itself
// cannot boot here (it needs StackBlitz's servers): with StackBlitz blocked (page.route, not
// the machine's lack of network), asking for it falls back to the local runner after the boot
// timeout and says why; on a static host, with no runner behind it, the lesson says how to
// run the course locally. The page is cross-origin isolated under the served headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { WEBCONTAINER_BOOT_TIMEOUT_MS } from '../../site/runtime/select.ts';
import { serveStatic } from '../fixtures/static-host.ts';
import { LESSON, courseAndBrowser, openCourse, waitFor, waitForRunning } from './harness.ts';

const shared = courseAndBrowser();

/** Every request to StackBlitz's hosts fails, as behind a firewall that blocks them. */
async function blockStackBlitz(context: BrowserContext): Promise<string[]> {
  const blocked: string[] = [];
  await context.route(
    (url) => /(^|\.)(stackblitz\.com|webcontainer\.io|webcontainer-api\.io|staticblitz\.com)$/.test(url.hostname),
    (route) => (blocked.push(route.request().url()), route.abort('blockedbyclient')),
  );
  return blocked;
}

/** The runtime line once a choice is made (it shows progress until then). */
async function chosen(page: Page, timeoutMs = WEBCONTAINER_BOOT_TIMEOUT_MS + 30_000): Promise<string> {
  const line = page.getByTestId('runtime-line');
  return waitFor(
    'the runtime choice',
    async () => {
      const t = await line.innerText();
      return /^(Running|This sandbox cannot run)/.test(t) ? t : '';
    },
    timeoutMs,
  );
}

async function stop(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
}

test('under npm start, Run uses the local runner at once, says so in plain words, and offers the browser', { timeout: 120_000 }, async () => {
  const { context, page } = await openCourse(shared.browser, shared.course);
  const blocked = await blockStackBlitz(context);
  await page.goto(`${shared.course.origin}${LESSON}`);
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  const started = Date.now();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  assert.equal(await chosen(page, 15_000), 'Running on this machine');
  await waitForRunning(page);
  assert.ok(Date.now() - started < WEBCONTAINER_BOOT_TIMEOUT_MS, 'no WebContainer boot was waited for');
  assert.deepEqual(blocked, [], 'StackBlitz was not even asked');
  // The why, on demand.
  await page.getByText('Why?', { exact: true }).click();
  assert.match(await page.getByTestId('runtime-detail').innerText(), /served by npm start/);
  assert.equal(await page.getByTestId('switch-runtime').innerText(), 'Run in this browser');
  await stop(page);
  await context.close();
});

test('asking for the browser with StackBlitz blocked falls back to the local runner after the boot timeout, and says why', { timeout: 150_000 }, async () => {
  const { context, page } = await openCourse(shared.browser, shared.course);
  const blocked = await blockStackBlitz(context);
  await page.goto(`${shared.course.origin}${LESSON}`);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await waitForRunning(page);
  // The reader switches: the local run stops, the browser is tried, its boot is shown.
  const started = Date.now();
  await page.getByTestId('switch-runtime').click();
  await waitFor('boot progress', async () => /Starting Node\.js in your browser/.test(await page.getByTestId('runtime-line').innerText()), 10_000, 50);
  const line = await chosen(page);
  assert.equal(line, 'Running on this machine (the in-browser runtime did not start)');
  assert.ok(Date.now() - started >= WEBCONTAINER_BOOT_TIMEOUT_MS - 1000, 'it waited for the boot timeout before falling back');
  assert.ok(blocked.length > 0, 'StackBlitz was asked, and refused');
  await page.getByText('Why?', { exact: true }).click();
  assert.match(await page.getByTestId('runtime-detail').innerText(), /WebContainer did not start.*Starting Node\.js in this browser \(is StackBlitz reachable\?\) did not finish within 30 s/);
  // The fallback runs the sandbox for real.
  await waitForRunning(page);
  await stop(page);
  await context.close();
});

test('on a static host, with StackBlitz blocked, the lesson stays readable and says how to run it locally', { timeout: 150_000 }, async () => {
  const host = await serveStatic(join(import.meta.dirname, '..', '..', 'dist'));
  const context = await shared.browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const blocked = await blockStackBlitz(context);
    const page = await context.newPage();
    await page.goto(`${host.url}${LESSON}`);
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true, 'the isolation headers make WebContainer possible');
    assert.ok((await page.locator('main h1, h1').first().innerText()).length > 0, 'the lesson is readable');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const line = await chosen(page);
    assert.match(line, /^This sandbox cannot run here\. .*npm install && npm start/);
    assert.ok(blocked.length > 0, 'WebContainer was tried first: no runner serves this page');
    await page.getByText('Why?', { exact: true }).click();
    assert.match(await page.getByTestId('runtime-detail').innerText(), /did not finish within 30 s.*no local runner answers/);
    // The failed boot is remembered in this tab: a reload does not wait for it again.
    await page.reload();
    const again = Date.now();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    assert.match(await chosen(page, 20_000), /^This sandbox cannot run here/);
    assert.ok(Date.now() - again < WEBCONTAINER_BOOT_TIMEOUT_MS, 'no second wait for the boot');
    await page.getByText('Why?', { exact: true }).click();
    assert.match(await page.getByTestId('runtime-detail').innerText(), /failed to start 1 min ago in this tab/);
  } finally {
    await context.close();
    await host.close();
  }
});

test('on a touch device that does not report 4 GB, the browser runtime waits for the reader to ask for it', { timeout: 60_000 }, async () => {
  const host = await serveStatic(join(import.meta.dirname, '..', '..', 'dist'));
  const context = await shared.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  try {
    const blocked = await blockStackBlitz(context);
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 2 }));
    const page = await context.newPage();
    await page.goto(`${host.url}${LESSON}`);
    // As a reader on a phone does: scroll down to the workbench, and use it once it is ready.
    await page.locator('.hp-workbench').scrollIntoViewIfNeeded();
    await page.locator('.hp-controls:not([disabled])').waitFor();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    assert.match(await chosen(page, 20_000), /^This sandbox cannot run here/);
    assert.deepEqual(blocked, [], 'no boot was started');
    await page.getByText('Why?', { exact: true }).click();
    assert.match(await page.getByTestId('runtime-detail').innerText(), /more memory than this device gives a tab/);
    assert.equal(await page.getByTestId('switch-runtime').innerText(), 'Run in this browser');
    // Held back is not failed: nothing is remembered against the next try.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('hotpot:webcontainer-failed-at')), null);
  } finally {
    await context.close();
    await host.close();
  }
});

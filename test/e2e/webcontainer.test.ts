// WebContainer itself cannot boot here (it needs StackBlitz's servers). What is tested: the
// page is cross-origin isolated under the served headers, and an unreachable StackBlitz
// makes the page fall back to the local runner within the boot timeout, saying so — when
// asked for, and automatically, since the async-tasks sandbox is pure Node (its broker too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { WEBCONTAINER_BOOT_TIMEOUT_MS } from '../../site/runtime/select.ts';
import { LESSON, courseAndBrowser, openCourse, waitFor, waitForRunning } from './harness.ts';

const shared = courseAndBrowser();

/** The runtime line once a choice is made (it says "Choosing…" or "…chosen when…" before). */
async function chosenRuntime(page: Page): Promise<string> {
  const line = page.getByTestId('runtime-line');
  return waitFor(
    'the runtime choice',
    async () => {
      const t = await line.innerText();
      return /Choosing|chosen when/.test(t) ? '' : t;
    },
    WEBCONTAINER_BOOT_TIMEOUT_MS + 20_000,
  );
}

test('with StackBlitz unreachable, ?runtime=webcontainer falls back to the local runner within the timeout and says why', { timeout: 120_000 }, async () => {
  const { context, page } = await openCourse(shared.browser, shared.course);
  await page.goto(`${shared.course.origin}${LESSON}?runtime=webcontainer`);
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  const started = Date.now();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const text = await chosenRuntime(page);
  assert.match(text, /^Local runner/);
  assert.match(text, /WebContainer did not start/);
  assert.match(text, /did not finish within 10 s/);
  assert.ok(Date.now() - started >= WEBCONTAINER_BOOT_TIMEOUT_MS - 500, 'it waited for the boot timeout before falling back');
  // And the fallback runs the sandbox for real.
  await waitForRunning(page);
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
  await context.close();
});

test('automatically, the pure-Node async-tasks sandbox tries WebContainer first, falls back, and skips it in this tab afterwards', { timeout: 150_000 }, async () => {
  const { context, page } = await openCourse(shared.browser, shared.course);
  await page.goto(`${shared.course.origin}${LESSON}`);
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  const started = Date.now();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const text = await chosenRuntime(page);
  assert.match(text, /^Local runner/);
  assert.match(text, /WebContainer did not start/, 'WebContainer was tried: nothing in the sandbox blocks it');
  assert.doesNotMatch(text, /cannot run inside a WebContainer/);
  assert.ok(Date.now() - started >= WEBCONTAINER_BOOT_TIMEOUT_MS - 500, 'it waited for the boot timeout before falling back');
  await waitForRunning(page);
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
  // The failed boot is remembered in this tab: the next choice goes straight to the local runner.
  await page.reload();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  assert.match(await chosenRuntime(page), /^Local runner.*WebContainer failed to start 1 min ago in this tab/);
  await waitForRunning(page);
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
  await context.close();
});

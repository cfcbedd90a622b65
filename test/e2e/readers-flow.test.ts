// The reader's flow through a lesson's workbench, in real Chromium against the server
// `npm start` runs: Stop pressed while the runtime is starting stops it; the workbench says
// when the sandbox runs another step's code or older files, and offers the restart; a check
// verdict goes once what it judged has changed; Reset and Apply solution can be undone; a
// passed step leads on to the next one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LESSON, cleanup, launchBrowser, openCourse, processesUnder, startCourse, waitFor, waitForRunning, type Course } from './harness.ts';

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const workbench = () => page.getByRole('region', { name: 'Workbench' });
const button = (name: string) => workbench().getByRole('button', { name, exact: true });
const notice = () => page.getByTestId('run-notice');
const editorFiles = () => page.evaluate(() => (globalThis as unknown as { __hotpot: { files: { value: Record<string, string> } } }).__hotpot.files.value);
const runState = () => workbench().getAttribute('data-run-state');

async function openFile(path: string) {
  await page.locator(`button.hp-file[data-path="${path}"]`).click();
  await page.locator('.hp-editor-title', { hasText: path }).waitFor();
}

/** Types at the start of the open file, as a reader would. */
async function typeInEditor(text: string) {
  await page.locator('.hp-editor-host .monaco-editor').waitFor({ timeout: 60_000 });
  await page.locator('.hp-editor-host .view-lines').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.insertText(text);
}

async function check(): Promise<string> {
  await button('Check').click();
  const banner = page.locator('.hp-check[data-check]');
  await banner.waitFor({ timeout: 120_000 });
  return (await banner.getAttribute('data-check'))!;
}

describe("the reader's flow in the workbench", { timeout: 10 * 60_000 }, () => {
  before(async () => {
    course = await startCourse();
    browser = await launchBrowser();
    ({ context, page } = await openCourse(browser, course));
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    await page.locator('.hp-controls:not([disabled])').waitFor();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await course?.stop();
    cleanup(course);
  });

  test('Stop pressed while the runtime is still starting stops that run: the sandbox never comes up', async () => {
    // Run, then Stop the moment it can be pressed: the runtime is still being chosen.
    await page.evaluate(async () => {
      const find = (name: string) => [...document.querySelectorAll<HTMLButtonElement>('.hp-actions button')].find((b) => b.textContent?.trim() === name)!;
      find('Run').click();
      while (find('Stop').disabled) await new Promise((r) => setTimeout(r, 0));
      find('Stop').click();
    });
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    // Long enough for the local runner to have started the broker, had the run gone on.
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(await runState(), 'stopped');
    assert.deepEqual(processesUnder(course.tmp), [], 'no sandbox process was started');
  });

  test('a check verdict is taken down once the files change; the workbench says the sandbox runs older files and offers the restart', async () => {
    assert.equal(await check(), 'fail', 'the starting files do not pass step 1');
    await waitForRunning(page);
    await openFile('email.ts');
    await typeInEditor('// edited\n');
    await page.locator('.hp-check[data-check]').waitFor({ state: 'detached', timeout: 5000 });
    await notice().filter({ hasText: 'You changed files since Run' }).waitFor();
    await workbench().getByRole('button', { name: 'Restart with your changes' }).click();
    await notice().waitFor({ state: 'detached', timeout: 60_000 });
    await waitForRunning(page);
  });

  test("Solution shows each file that differs as a diff against the reader's own", async () => {
    await button('Solution').click();
    const dialog = page.getByRole('dialog', { name: /^Solution/ });
    await dialog.getByRole('tab', { name: 'email.ts' }).click();
    await dialog.locator('.hp-solution-diff[data-ready="true"]').waitFor({ timeout: 60_000 });
    // Monaco draws spaces as no-break spaces: \s matches both.
    assert.match(await dialog.locator('.original .view-lines').innerText(), /\/\/\sedited/, "the reader's file on the left");
    // Monaco draws the text first and computes the diff after: the marks come a moment later.
    await waitFor('the line the solution lacks is marked', async () => (await dialog.locator('.original .line-delete, .original .char-delete').count()) > 0);
    await dialog.getByRole('tab', { name: 'server.ts' }).click();
    await dialog.locator('.hp-solution-diff[data-ready="true"]').waitFor();
    await waitFor('the solution side', async () => /queue\.add\(/.test(await dialog.locator('.modified .view-lines').innerText()));
    await waitFor('what the reader is missing is marked', async () => (await dialog.locator('.modified .line-insert, .modified .char-insert').count()) > 0);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  test('Reset can be undone, and so can Apply solution', async () => {
    assert.match((await editorFiles())['email.ts']!, /^\/\/ edited/);
    await button('Reset').click();
    await waitFor('the reset', async () => !(await editorFiles())['email.ts']!.startsWith('// edited'));
    await workbench().getByRole('button', { name: 'Undo reset' }).click();
    await waitFor('the edit to come back', async () => (await editorFiles())['email.ts']!.startsWith('// edited'));
    assert.equal(await page.getByTestId('undo-notice').count(), 0, 'the offer goes once used');

    const before = await editorFiles();
    await button('Solution').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Apply solution' }).click();
    await waitFor('the solution', async () => /queue\.add\(/.test((await editorFiles())['server.ts']!));
    await workbench().getByRole('button', { name: 'Undo solution' }).click();
    await waitFor('the files from before the solution', async () => JSON.stringify(await editorFiles()) === JSON.stringify(before));
  });

  test("switching step says which step's code is running and offers to restart with the new step", async () => {
    await page.locator('.hp-step-select select').selectOption({ index: 1 });
    const other = notice().filter({ hasText: "The sandbox is still running step 1's code" });
    await other.waitFor();
    assert.match(await other.innerText(), /not step 2's/);
    await workbench().getByRole('button', { name: 'Restart with step 2' }).click();
    await notice().waitFor({ state: 'detached', timeout: 60_000 });
    await waitForRunning(page);
  });

  test('after a step passes, the banner leads to the next step and the prose follows', async () => {
    await button('Solution').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Apply solution' }).click();
    assert.equal(await check(), 'pass');
    const next = workbench().getByRole('button', { name: /^Next step: 3\. / });
    await next.click();
    assert.match(await page.locator('.hp-step-select select option:checked').innerText(), /^3\. /);
    await waitFor('the prose to show step 3', () => page.locator('[data-step="idempotent-delivery"]').evaluate((el) => {
      const top = el.getBoundingClientRect().top;
      return top >= -1 && top < innerHeight / 2;
    }), 10_000);
  });
});

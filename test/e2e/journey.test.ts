// The reader's journey through the async-tasks lesson, in real Chromium against the
// server `npm start` runs: run, watch, edit, reload, reset, solution, check, kill, stop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';
import { LESSON, cleanup, launchBrowser, openCourse, processesUnder, startCourse, waitFor, waitForRunning, type Course } from './harness.ts';

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const workbench = () => page.getByRole('region', { name: 'Workbench' });
const button = (name: string) => workbench().getByRole('button', { name, exact: true });
const terminalText = (process: string) => page.locator(`.hp-terminal[data-process="${process}"] .xterm-rows`).innerText();
const preview = (): FrameLocator => page.frameLocator('iframe[title="Sandbox preview"]');

async function showTerminal(process: string) {
  await workbench().getByRole('tab', { name: new RegExp(`^${process}\\b`) }).click();
}

async function runAndWait() {
  await button('Run').click();
  await waitForRunning(page);
}

async function openFile(path: string) {
  await page.locator(`button.hp-file[data-path="${path}"]`).click();
  await page.locator('.hp-editor-title', { hasText: path }).waitFor();
}

/** Edits the open file the way a reader would: find the text (Ctrl+F), close the find box, type over the match. */
async function replaceInEditor(find: string, replacement: string) {
  await page.locator('.hp-editor-host .monaco-editor').waitFor({ timeout: 60_000 });
  await page.locator('.hp-editor-host .view-lines').click();
  await page.keyboard.press('Control+F');
  await page.keyboard.insertText(find);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.keyboard.insertText(replacement);
}

/** Everything a process printed in this run (the terminal shows only the rows that fit). */
const processOutput = (process: string) => page.evaluate((p) => (globalThis as unknown as { __hotpot: { output(p: string): string } }).__hotpot.output(p), process);

const editorFiles = () => page.evaluate(() => (globalThis as unknown as { __hotpot: { files: { value: Record<string, string> } } }).__hotpot.files.value);

async function signUp(name: string, email: string) {
  const frame = preview();
  await frame.locator('input[name="name"]').fill(name);
  await frame.locator('input[name="email"]').fill(email);
  await frame.getByRole('button', { name: 'Sign up' }).click();
}

describe('the async-tasks lesson, as a reader uses it', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    course = await startCourse();
    browser = await launchBrowser();
    ({ context, page } = await openCourse(browser, course));
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await course?.stop();
    cleanup(course);
  });

  test('the page shows the lesson beside a workbench with every control', async () => {
    await page.getByRole('heading', { level: 1 }).waitFor();
    for (const name of ['Run', 'Stop', 'Reset', 'Solution', 'Check']) assert.equal(await button(name).count(), 1, `one button named ${name}`);
    assert.ok((await page.getByRole('navigation', { name: 'Sandbox files' }).locator('button.hp-file').count()) >= 4);
    for (const p of ['broker', 'worker', 'web']) assert.equal(await workbench().getByRole('tab', { name: new RegExp(`^${p}\\b`) }).count(), 1);
    // The lesson's steps are marked in the prose for the workbench.
    assert.ok((await page.locator('#lesson-prose [data-step]').count()) >= 3);
  });

  test('Run starts broker, worker and web in order; logs stream; the preview shows the page', async () => {
    // Record each process state change as the page sees it (once the workbench has hydrated: its controls render before).
    await page.waitForFunction(() => (globalThis as { __hotpot?: unknown }).__hotpot !== undefined);
    await page.evaluate(() => {
      type Model = { processes: { subscribe(f: (v: Record<string, { state: string }>) => void): () => void } };
      const seen: string[] = ((globalThis as unknown as { __seen: string[] }).__seen = []);
      (globalThis as unknown as { __hotpot: Model }).__hotpot.processes.subscribe((v) => {
        for (const [name, { state }] of Object.entries(v)) if (seen.at(-1) !== `${name}:${state}` && !seen.includes(`${name}:${state}`)) seen.push(`${name}:${state}`);
      });
    });
    await runAndWait();
    const seen: string[] = await page.evaluate(() => (globalThis as unknown as { __seen: string[] }).__seen);
    const at = (event: string) => {
      assert.ok(seen.includes(event), `${event} in ${seen.join(', ')}`);
      return seen.indexOf(event);
    };
    assert.ok(at('broker:ready') < at('worker:starting'), 'the worker starts after the broker is ready');
    assert.ok(at('worker:ready') < at('web:starting'), 'the web server starts after the worker is ready');
    assert.match(await page.getByTestId('runtime-line').innerText(), /Running on this machine/);
    // The broker is the embedded one (node_modules/hotpot-broker), and its terminal says so.
    assert.match(await processOutput('broker'), /Hotpot broker \(Redis-compatible\) listening on 127\.0\.0\.1:\d+/);
    await showTerminal('worker');
    await waitFor('the worker to log that it is ready', async () => /worker ready/.test(await terminalText('worker')));
    await preview().getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 30_000 });
  });

  test('Check fails on the starting files with a one-line reason a beginner can act on', async () => {
    await button('Check').click();
    const banner = page.locator('.hp-check[data-check]');
    await banner.waitFor({ timeout: 120_000 });
    assert.equal(await banner.getAttribute('data-check'), 'fail', await banner.innerText());
    const reason = await banner.locator('.hp-check-reason').innerText();
    assert.ok(reason.length > 10 && !reason.includes('\n'), `one readable line: ${reason}`);
  });

  test('Solution shows the reference solution and applies it', async () => {
    await button('Solution').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.locator('.hp-solution-diff[data-ready="true"] .modified .view-lines').waitFor({ timeout: 60_000 });
    assert.match(await dialog.locator('.modified .view-lines').innerText(), /queue\.add\(/);
    await dialog.getByRole('button', { name: 'Apply solution' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok((await page.locator('.hp-changed').count()) >= 1, 'applied files differ from the starting ones');
    assert.match((await editorFiles())['server.ts']!, /queue\.add\(/);
  });

  test('an edited email template takes effect on the next Run; sign-ups become jobs that move to completed, live', async () => {
    await openFile('email.ts');
    await replaceInEditor('Welcome to Hotpot', 'Welcome aboard');
    await waitFor('the edit to reach the workbench', async () => (await editorFiles())['email.ts']!.includes('Welcome aboard, ${signup.name}'));
    await runAndWait();
    await preview().getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 30_000 });
    await signUp('Grace', 'grace@example.com');
    const row = preview().locator('#jobs tr', { hasText: 'grace@example.com' });
    await row.waitFor({ timeout: 30_000 });
    await waitFor('the job to complete', async () => /completed/.test(await row.innerText()), 60_000);
    await showTerminal('worker');
    await waitFor('the worker to send the edited email', async () => /Welcome aboard, Grace/.test(await processOutput('worker')), 30_000);
    assert.match(await terminalText('worker'), /\S/, 'the worker terminal shows its output');
  });

  test('edits survive a reload', async () => {
    const before = await editorFiles();
    await page.reload();
    await page.locator('button.hp-file[data-path="email.ts"] .hp-changed').waitFor();
    assert.deepEqual(await editorFiles(), before);
  });

  test('Check passes on the solution and records progress on the course map', async () => {
    await button('Check').click();
    await page.locator('.hp-check[data-check="pass"]').waitFor({ timeout: 120_000 });
    await page.goto(`${course.origin}/`);
    await waitFor('the course map to show progress', async () => /1 of 3 steps done/.test(await page.locator('li.lesson.live').first().innerText()));
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
  });

  test('killing the worker mid-job: the restarted worker recovers the stalled job and completes it', async () => {
    await runAndWait();
    await preview().getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 30_000 });
    // The kill must land while the job runs (its email takes 2 s). On a busy machine the click
    // can come after the job finished; then nothing is recovered, and a new sign-up tries again.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const email = `barbara${attempt}@example.com`;
      await signUp('Barbara', email);
      const row = preview().locator('#jobs tr', { hasText: email });
      await waitFor('the job to become active', async () => /active/.test(await row.innerText()), 60_000, 50);
      await showTerminal('worker');
      await button('Kill worker').click();
      await workbench().getByRole('tab', { name: /worker · killed/ }).waitFor();
      await button('Restart worker').click();
      await waitFor('the job to be completed', async () => /completed/.test(await row.innerText()), 90_000);
      if (/recovered after its worker died/.test(await processOutput('worker'))) break;
    }
    assert.match(await processOutput('worker'), /recovered after its worker died/);
  });

  test('Reset restores the step\'s starting files', async () => {
    await button('Reset').click();
    await waitFor('the edits to be gone', async () => !(await editorFiles())['email.ts']!.includes('Welcome aboard'));
    assert.equal(await page.locator('.hp-changed').count(), 0);
    assert.doesNotMatch((await editorFiles())['server.ts']!, /queue\.add\(/);
  });

  test('Check after Reset checks the reset files, not the ones the sandbox was started with', async () => {
    assert.equal(await workbench().getAttribute('data-run-state'), 'running', 'still running the solution');
    await button('Check').click();
    const banner = page.locator('.hp-check[data-check]');
    await banner.waitFor({ timeout: 120_000 });
    assert.equal(await banner.getAttribute('data-check'), 'fail', 'the starting files do not pass');
  });

  test('a step\'s button in the lesson opens that step in the workbench, from the previous step\'s solution', async () => {
    await page.getByRole('button', { name: 'Open step 2 in the workbench' }).click();
    assert.match(await page.locator('.hp-step-select select option:checked').innerText(), /^2\. /);
    // Step 2's files are fetched as it opens.
    await waitFor("step 2's files", async () => (await editorFiles())['server.ts']);
    assert.match((await editorFiles())['server.ts']!, /queue\.add\(/, 'step 2 starts where step 1\'s solution ended');
    await page.locator('.hp-step-select select').selectOption({ index: 0 });
  });

  test('Stop leaves no process of the sandbox behind', async () => {
    assert.ok(processesUnder(course.tmp).length >= 3, 'the sandbox processes run under the course temp dir');
    await button('Stop').click();
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    await waitFor('every sandbox process to be gone', () => processesUnder(course.tmp).length === 0, 15_000);
  });
});

// Accessibility and the keyboard, in real Chromium against the server `npm start` runs:
// axe-core finds no serious or critical violation on the course map and on every live
// lesson, idle and running; a keyboard reader can skip to the content and the workbench,
// leave the editor with Tab once they ask (Ctrl+M, shown above the editor), and Run, Stop
// and Check with shortcuts listed in an overlay.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanup, launchBrowser, openCourse, startCourse, waitForRunning, type Course } from './harness.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Every live lesson.
const LESSONS = ['/lessons/async-tasks/', '/lessons/scheduling/', '/lessons/thread-pools/', '/lessons/concurrency-models/', '/lessons/websockets/'];

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

/** axe-core's serious and critical findings on the page as it is now, one line each. */
async function seriousViolations(): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: unknown[] }> } }).axe;
    // The sandbox's own pages (the preview frames) are the sandbox's business, not the course's.
    return (await axe.run({ exclude: [['iframe']] }, { resultTypes: ['violations'] })).violations;
  })) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)}`).join(' | ')}`);
}

const workbench = () => page.getByRole('region', { name: 'Workbench' });
const activeInEditor = () => page.evaluate(() => !!document.activeElement?.closest('.monaco-editor'));

describe('accessibility and the keyboard', { timeout: 10 * 60_000 }, () => {
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

  test('the course map: no serious or critical violations, one <main>', async () => {
    await page.goto(`${course.origin}/`);
    assert.deepEqual(await seriousViolations(), []);
    assert.equal(await page.locator('main').count(), 1);
  });

  // The workshop's pages as an attendee (join) and an instructor (console, before a workshop
  // is open) first see them; the skip link's target is their <main>.
  for (const path of ['/join/', '/workshop/'])
    test(`${path}: no serious or critical violations, one <main> the skip link leads to`, async () => {
      await page.goto(`${course.origin}${path}`);
      await page.locator('main h1, main h2').first().waitFor();
      assert.deepEqual(await seriousViolations(), []);
      assert.equal(await page.locator('main#main').count(), 1);
    });

  for (const lesson of LESSONS)
    test(`${lesson}: no serious or critical violations, idle and running`, async () => {
      await page.goto(`${course.origin}${lesson}?runtime=local`);
      await page.locator('.hp-controls:not([disabled])').waitFor();
      assert.deepEqual(await seriousViolations(), [], 'idle');
      assert.equal(await page.locator('main').count(), 1);
      // Before a run there is no page to open: a disabled control, not a link that leads nowhere.
      assert.equal(await page.locator('a:not([href])').count(), 0, 'every link has an address');
      const open = page.locator('.hp-preview-bar').getByTitle('Open in new tab');
      assert.ok((await open.count()) > 0);
      for (const control of await open.all()) assert.ok(await control.evaluate((e) => e instanceof HTMLButtonElement && e.disabled));
      await workbench().getByRole('button', { name: 'Run', exact: true }).click();
      await waitForRunning(page);
      await page.locator('.hp-editor-host .monaco-editor').waitFor({ timeout: 60_000 });
      // Running: a link to the page the preview shows.
      const frame = page.locator('iframe.hp-preview-frame').first();
      await frame.waitFor({ state: 'attached', timeout: 60_000 });
      assert.equal(await open.first().getAttribute('href'), await frame.getAttribute('src'));
      assert.deepEqual(await seriousViolations(), [], 'running');
      await workbench().getByRole('button', { name: 'Stop', exact: true }).click();
      await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    });

  test('the first Tab reaches the skip links; they lead to the content and to the workbench', async () => {
    await page.goto(`${course.origin}/lessons/async-tasks/?runtime=local`);
    await page.locator('.hp-controls:not([disabled])').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to the workbench');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'workbench');
  });

  test('Tab indents in the editor until Ctrl+M (shown above it) makes it move focus out', async () => {
    await page.locator('.hp-editor-host .monaco-editor').waitFor({ timeout: 60_000 });
    await page.locator('.hp-editor-host .view-lines').click();
    const mode = workbench().locator('.hp-tab-mode');
    assert.match(await mode.innerText(), /Tab indents\s*Ctrl\+M/);
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
    assert.ok(await activeInEditor(), 'Tab indents by default');
    await page.keyboard.press('Control+M');
    assert.equal(await mode.getAttribute('aria-pressed'), 'true');
    assert.match(await mode.innerText(), /Tab moves focus/);
    await page.keyboard.press('Tab');
    assert.ok(!(await activeInEditor()), 'Tab left the editor');
    await mode.click();
    assert.equal(await mode.getAttribute('aria-pressed'), 'false');
    // The five Tabs went into the file: back to the step's starting files.
    await workbench().getByRole('button', { name: 'Reset', exact: true }).click();
  });

  test('Alt+Shift+R runs, Alt+Shift+S stops, from the editor too; ? lists the keys', async () => {
    await page.locator('.hp-editor-host .view-lines').click();
    await page.keyboard.press('Alt+Shift+R');
    await waitForRunning(page);
    await page.keyboard.press('Alt+Shift+S');
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    await page.locator('#lesson-prose h1').click();
    await page.keyboard.press('Shift+Slash');
    const keys = page.getByRole('dialog', { name: 'Keyboard' });
    await keys.waitFor();
    const listed = await keys.innerText();
    for (const k of ['Alt+Shift+R', 'Alt+Shift+S', 'Alt+Shift+C', 'Ctrl+M']) assert.ok(listed.includes(k), `${k} is listed`);
    await page.keyboard.press('Escape');
    await keys.waitFor({ state: 'hidden' });
  });
});

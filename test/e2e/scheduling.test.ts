// The scheduling lesson in real Chromium against the server `npm start` runs: the cron box as
// a reader uses it (valid, invalid, a daylight-saving day, a zone change); every step's check
// failing on its starting files with its reason and passing on its solution; then, with the
// finished sandbox running, the timeline gaining marks without a reload, the worker stopped and
// started from the page, the lateness figures measured, and the schedulers' keys in the Broker tab.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanup, launchBrowser, openCourse, startCourse, waitFor, waitForRunning, type Course, workbenchOf } from './harness.ts';

const LESSON = '/lessons/scheduling/';

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const { workbench, button, check, applySolution, preview } = workbenchOf(() => page);

describe('the scheduling lesson, as a reader uses it', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    course = await startCourse();
    browser = await launchBrowser();
    ({ context, page } = await openCourse(browser, course));
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    await page.locator('.hp-workbench').waitFor();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await course?.stop();
    cleanup(course);
  });

  test('the cron box explains a pattern in a zone, refuses bad input in words, and marks daylight-saving days', async () => {
    const box = page.getByTestId('cron-box');
    await box.scrollIntoViewIfNeeded();
    const pattern = box.getByLabel('Pattern');
    const zone = box.getByLabel('Time zone');
    await pattern.waitFor();
    // Hydrated when visible (Astro drops the island's ssr attribute then); the server-rendered
    // box already shows the default pattern, so type a different one first.
    await page.locator('astro-island:not([ssr])').filter({ has: box }).waitFor({ timeout: 60_000 });
    await waitFor('the cron box to answer typing', async () => {
      await pattern.fill('0 9 * * 1-5');
      return /At 09:00, on Monday to Friday/.test(await box.getByTestId('cron-words').innerText());
    }, 30_000);
    await pattern.fill('0 9 * * 1');
    await zone.fill('Asia/Shanghai');
    await waitFor('the boss\'s pattern', async () => /At 09:00, on Monday,/.test(await box.getByTestId('cron-words').innerText()));
    const rows = box.getByTestId('cron-firings').locator('tbody tr');
    assert.equal(await rows.count(), 10);
    const first = await rows.first().innerText();
    assert.match(first, /Mon, \d+ \w+ \d{4}, 09:00:00/);
    assert.match(first, /01:00:00 UTC/, 'Monday 09:00 in Shanghai is 01:00 UTC');

    // The same pattern in another zone: same wall time, another instant.
    await zone.fill('Europe/Berlin');
    await waitFor('Berlin firings', async () => /0[78]:00:00 UTC/.test(await rows.first().innerText()));

    // Invalid input is explained, not thrown; fixing it brings the table back.
    await pattern.fill('61 9 * * 1');
    assert.match(await box.getByTestId('cron-error').innerText(), /61 is out of range in the minute field/);
    await zone.fill('Mars/Olympus');
    await pattern.fill('0 9 * * 1');
    assert.match(await box.getByTestId('cron-error').innerText(), /not a time zone/);
    await zone.fill('Europe/Berlin');
    await rows.first().waitFor();

    // Every day at 02:30 in Berlin across the March change: the firing moves to 03:30, marked.
    await pattern.fill('30 2 * * *');
    await box.getByLabel(/Starting from/).fill('2027-03-25T00:00');
    await waitFor('the change day marked', async () => (await box.locator('tr[data-dst]').count()) === 1);
    const moved = await box.locator('tr[data-dst]').innerText();
    assert.match(moved, /28 Mar 2027, 03:30:00/);
    assert.match(moved, /02:30:00 does not exist that day/);
    assert.match(await box.getByTestId('cron-changes').innerText(), /clocks go forward 1 hour at 02:00, to 03:00/);
    // The October change, from the examples menu: 02:30 happens twice.
    await box.getByLabel('Try').selectOption({ label: 'Every day at 02:30 in Berlin, across the October change' });
    await waitFor('the repeated hour marked', async () => /happens twice that day/.test(await box.locator('tr[data-dst]').innerText()));
  });

  // What each starting point gets wrong, as the check tells the reader.
  const failures: Record<string, RegExp> = {
    'every-few-seconds': /no job scheduler for the pulse.*upsertJobScheduler\('pulse', \{ every: 3000 \}/,
    'boss-timetable': /not Monday 09:00 in Shanghai.*an interval counts from when it was registered.*tz: 'Asia\/Shanghai'/,
    'one-report': /sent 2 times, by schedulers digest-[ab] and digest-[ab].*same id, 'digest'/,
    'slow-or-missing-worker': /ran twice and the boss got 2 reports.*scheduledTime\(job\)/,
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

  test('with the finished sandbox running, the timeline gains marks without a reload, the worker stops and starts from the page, and lateness is measured', async () => {
    // The last step's solution is the finished sandbox: still running after its check, unless
    // this test runs on its own.
    const step = page.locator('.hp-step-select select');
    if ((await step.evaluate((s: HTMLSelectElement) => s.selectedIndex)) !== 3 || !(await page.locator('.hp-workbench[data-run-state="running"]').count())) {
      await step.selectOption({ index: 3 });
      await applySolution();
      await button('Run').click();
    }
    await waitForRunning(page);
    const frame = preview();
    await frame.locator('#status[data-state="open"]').waitFor({ timeout: 30_000 });
    const timeline = frame.locator('#timeline');
    const marks = async () => Number(await timeline.getAttribute('data-marks'));
    await waitFor('marks on the timeline', async () => (await marks()) > 0, 20_000);
    const before = await marks();
    const rows = await frame.locator('#schedulers tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    assert.deepEqual([...rows].sort(), ['boss-report', 'digest', 'pulse']);
    await waitFor('new marks without a reload', async () => (await marks()) >= before + 2, 20_000);

    // Keyboard: focus the timeline and step through the marks.
    await timeline.focus();
    await timeline.press('End');
    assert.match(await frame.locator('#detail').innerText(), /due \d\d:\d\d:\d\d\.\d{3}, started .* ms late\) by worker #\d/);

    // Stop the worker: it says so, and no report arrives while it is stopped.
    await frame.getByRole('button', { name: 'Stop worker' }).click();
    await frame.locator('#worker[data-state="stopped"]').waitFor({ timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 1500));
    const inboxWhileStopped = await frame.locator('#inbox li').count();
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(await frame.locator('#inbox li').count(), Math.min(60, inboxWhileStopped), 'no reports while the worker is stopped');
    // The schedulers' next jobs came due and wait, overdue, for a worker to take them.
    await waitFor('an overdue scheduler', async () => /overdue by/.test(await frame.locator('#schedulers').innerText()), 10_000);

    // Start it again: a new worker takes the waiting jobs, late, and the legend names it.
    await frame.getByRole('button', { name: 'Start worker' }).click();
    await frame.locator('#worker[data-state="running"]').waitFor({ timeout: 15_000 });
    const restarted = (await frame.locator('#worker').innerText()).replace(' running', '');
    await waitFor('reports from the restarted worker', async () => (await frame.locator('#legend').innerText()).includes(restarted), 20_000);
    const lateness = frame.locator('#lateness');
    assert.ok(Number(await lateness.getAttribute('data-firings')) > 5);
    const figures = await lateness.innerText();
    const worst = Number(/worst (\d+) ms/.exec(figures)?.[1]);
    assert.ok(worst >= 3000, `the jobs that waited while the worker was stopped started seconds late: ${figures}`);

    // The Broker tab shows the schedulers' keys.
    await workbench().getByRole('tab', { name: 'Broker', exact: true }).click();
    const broker = page.locator('.hp-broker');
    await waitFor('the scheduler keys in the Broker tab', async () => (await broker.locator('li[data-key="bull:reports:repeat:boss-report"]').count()) === 1, 20_000);
    await workbench().getByRole('tab', { name: 'Preview', exact: true }).click();
  });
});

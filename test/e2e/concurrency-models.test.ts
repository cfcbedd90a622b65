// The threads-or-an-event-loop lesson in real Chromium against the server `npm start` runs:
// the sleep(5) timeline and the readiness diagram as a reader uses them (pointer and
// keyboard); every step's check failing on its starting files with its reason and passing on
// its solution; on the way, the sandbox page's timeline drawing the blocking view's requests
// one after another (and the gauge catching the stall) and the awaited view's side by side;
// then, with the finished sandbox, a Load run charting real figures beside the article's,
// and idle connections held in both models.
// Every assertion on the sandbox is relative (overlap, order, "more than"), never a time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanup, launchBrowser, openCourse, startCourse, waitFor, waitForRunning, type Course, workbenchOf } from './harness.ts';

const LESSON = '/lessons/concurrency-models/';

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const { button, check, applySolution, preview } = workbenchOf(() => page);

/** Fires five requests from the sandbox page's timeline; returns how many overlapped. */
async function fire(handler: string, seconds: string): Promise<number> {
  const frame = preview();
  await frame.locator('#tl-handler').selectOption(handler);
  await frame.locator('#tl-seconds').selectOption(seconds);
  const summary = frame.locator('#tl-summary');
  const before = await summary.getAttribute('data-total');
  await frame.getByRole('button', { name: 'Fire 5 at once' }).click();
  await waitFor(`the timeline for ${handler}`, async () => (await summary.getAttribute('data-total')) !== before && (await frame.getByRole('button', { name: 'Fire 5 at once' }).isEnabled()), 90_000);
  assert.equal(await frame.locator('#timeline').getAttribute('data-bars'), '5');
  return Number(await summary.getAttribute('data-overlap'));
}

describe('the threads-or-an-event-loop lesson, as a reader uses it', { timeout: 20 * 60_000 }, () => {
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

  test('the sleep(5) timeline redraws per server, and the readiness diagram answers its model and slider, by pointer and keyboard', async () => {
    const timeline = page.getByTestId('sleep-timeline');
    await timeline.scrollIntoViewIfNeeded();
    await page.locator('astro-island:not([ssr])').filter({ has: timeline }).waitFor({ timeout: 60_000 });
    await waitFor('the timeline hydrated', async () => (await timeline.getAttribute('data-ready')) === 'true');
    assert.equal(await timeline.getAttribute('data-total'), '25', '--nothreading: one after another');
    await timeline.getByLabel('runserver', { exact: true }).check();
    await waitFor('runserver overlaps', async () => (await timeline.getAttribute('data-total')) === '5');
    assert.match(await page.getByTestId('sleep-caption').innerText(), /thread for every request/);
    // Keyboard: arrow keys move through the radio group.
    await timeline.getByLabel('runserver', { exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    await waitFor('gunicorn -w 2', async () => (await timeline.getAttribute('data-server')) === 'gunicorn-sync');
    assert.equal(await timeline.getAttribute('data-total'), '15', 'two at a time: 5 + 5 + 5 s');
    await timeline.getByLabel('uvicorn, async view, time.sleep').check();
    await waitFor('a blocked ASGI loop', async () => (await timeline.getAttribute('data-total')) === '25');

    const readiness = page.getByTestId('readiness');
    await readiness.scrollIntoViewIfNeeded();
    await waitFor('the diagram hydrated', async () => (await readiness.getAttribute('data-ready')) === 'true');
    const figure = (name: string) => readiness.locator(`[data-figure="${name}"]`).innerText();
    assert.equal(await figure('threads'), '10,000', 'a thread per open connection');
    await readiness.getByLabel('select / poll').check();
    assert.equal(await figure('threads'), '1');
    assert.equal(await figure('checked'), '10,000', 'select looks at every open socket');
    await readiness.getByLabel('epoll / kqueue').check();
    assert.equal(await figure('checked'), '10', 'epoll hands back the ready ones');
    const slider = readiness.getByRole('slider');
    await slider.focus();
    await page.keyboard.press('End');
    await readiness.getByLabel('select / poll').check();
    assert.equal(await figure('checked'), '100,000');
    assert.match(await page.getByTestId('readiness-story').innerText(), /FD_SETSIZE/);
  });

  // What each starting point gets wrong, as the check tells the reader.
  const failures: Record<string, RegExp> = {
    'stop-blocking': /ran one after another.*sleepSync blocks the event loop.*await setTimeout/,
    'keep-the-others-fast': /\/ping waited for \/hash.*pbkdf2Sync hashes on the event loop.*promisified pbkdf2/,
    'use-the-cores': /answered by process \d+: the app runs as one process.*node:cluster/,
    'bounded-waiting': /still connected after 10 s.*headersTimeout: 5_000.*connectionsCheckingInterval: 1_000/,
  };

  Object.entries(failures).forEach(([step, reason], i) => {
    test(`step ${i + 1} (${step}): Check fails on the starting files with its reason, and passes on the solution`, async () => {
      await page.locator('.hp-step-select select').selectOption({ index: i });
      const failed = await check();
      assert.equal(failed.verdict, 'fail', failed.reason);
      assert.match(failed.reason, reason);
      if (step === 'stop-blocking') {
        // The reader's view as it starts: five requests one after another, and the gauge sees the loop held.
        await waitForRunning(page);
        await preview().locator('#status[data-state="open"]').waitFor({ timeout: 30_000 });
        assert.equal(await fire('archive', '1'), 1, 'the blocking view runs one request at a time');
        const worst = Number(await preview().locator('#gauge-worst').getAttribute('data-ms'));
        assert.ok(worst >= 500, `the gauge caught a loop held for about a second: worst ${worst} ms`);
        await preview().locator('#timeline').focus();
        await preview().locator('#timeline').press('End');
        assert.match(await preview().locator('#tl-detail').innerText(), /Request #5: sent at 0\.\d\d s, waited .* before its handler started/);
      }
      await applySolution();
      const passed = await check();
      assert.equal(passed.verdict, 'pass', passed.reason);
      if (step === 'stop-blocking') {
        await waitForRunning(page);
        await preview().locator('#status[data-state="open"]').waitFor({ timeout: 30_000 });
        assert.equal(await fire('archive', '1'), 5, 'the awaited view runs all five at once');
      }
    });
  });

  test('with the finished sandbox, Load charts real figures beside the article\'s, and idle connections are held in both models', async () => {
    const step = page.locator('.hp-step-select select');
    if ((await step.evaluate((s: HTMLSelectElement) => s.selectedIndex)) !== 3 || !(await page.locator('.hp-workbench[data-run-state="running"]').count())) {
      await step.selectOption({ index: 3 });
      await applySolution();
      await button('Run').click();
    }
    await waitForRunning(page);
    const frame = preview();
    await frame.locator('#status[data-state="open"]').waitFor({ timeout: 30_000 });
    await waitFor('the status line names the cluster', async () => /running as a cluster/.test(await frame.locator('#status').innerText()), 20_000);

    // Load two endpoints, briefly.
    for (const box of await frame.locator('input[name="target"]').all()) await box.setChecked(['async', 'static'].includes((await box.getAttribute('value'))!));
    await frame.locator('#load-connections').selectOption('10');
    await frame.locator('#load-seconds').selectOption('2');
    await frame.getByRole('button', { name: 'Load' }).click();
    const results = frame.locator('#results');
    await waitFor('two load runs in the table', async () => (await results.getAttribute('data-runs')) === '2', 120_000);
    await waitFor('the Load button back', () => frame.getByRole('button', { name: 'Load' }).isEnabled(), 30_000);
    for (const target of ['async', 'static']) {
      const rps = Number(await frame.locator(`#yours tr[data-target="${target}"]`).getAttribute('data-rps'));
      assert.ok(rps > 0, `${target}: requests per second measured`);
    }
    assert.match(await frame.locator('#yours').innerText(), /ms/);
    assert.equal(await frame.locator('#chart').getAttribute('data-points'), '2');
    assert.equal(await frame.locator('#chart canvas').count(), 1, 'uPlot drew the chart');
    const article = await frame.locator('#article').innerText();
    for (const figure of ['294', '1,324', '2,942']) assert.ok(article.includes(figure), `the article's ${figure}`);
    assert.match(article, /the article's machine/);
    assert.match(await frame.locator('#chart').innerText(), /article's/, 'the chart labels the article\'s bars');

    // Idle connections: many in the event loop, a few with a thread each.
    await frame.locator('#idle-loop-count').fill('300');
    await frame.getByRole('button', { name: 'Hold them in one event loop' }).click();
    await frame.locator('#idle tr[data-model="event-loop"]').waitFor({ timeout: 90_000 });
    await frame.locator('#idle-threads-count').fill('3');
    await frame.getByRole('button', { name: 'Hold them with a thread each' }).click();
    await frame.locator('#idle tr[data-model="threads"]').waitFor({ timeout: 90_000 });
    const loop = Number(await frame.locator('#idle tr[data-model="event-loop"]').getAttribute('data-per-connection'));
    const threads = Number(await frame.locator('#idle tr[data-model="threads"]').getAttribute('data-per-connection'));
    assert.ok(threads > loop, `a thread per connection costs more memory per connection than the event loop (${threads} vs ${loop} bytes)`);
  });
});

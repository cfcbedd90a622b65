// The thread-pools lesson in real Chromium against the server `npm start` runs: the libuv
// timeline and the sizing rule as a reader uses them (keyboard included); every step's check
// failing on its starting files with its reason and passing on its solution; the event-loop
// delay gauge and the occupancy chart moving while hashes run on the main thread and then in
// the pool; and, with the finished sandbox, the experiments producing figures and a chart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanup, launchBrowser, openCourse, startCourse, waitFor, waitForRunning, type Course, workbenchOf } from './harness.ts';

const LESSON = '/lessons/thread-pools/';

let course: Course;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const { button, check, applySolution, preview } = workbenchOf(() => page);

/** Presses "Hash 8 passwords" on the page; the largest event-loop delay, a hash's compute time, and the rows that ran them. */
async function hashEight(): Promise<{ maxDelay: number; computeMs: number; rows: string }> {
  const frame = preview();
  await frame.locator('#status[data-state="open"]').waitFor({ timeout: 120_000 });
  const bars = Number(await frame.locator('#occupancy').getAttribute('data-bars'));
  await frame.locator('#loop-text').evaluate((el) => (el.dataset.max = '0'));
  await frame.getByRole('button', { name: 'Hash 8 passwords' }).click();
  await waitFor('8 answered hashes', async () => /8 hashes: 8 answered 200/.test(await frame.locator('#requests').innerText()), 90_000);
  await waitFor('8 more bars on the occupancy chart', async () => Number(await frame.locator('#occupancy').getAttribute('data-bars')) >= bars + 8, 10_000);
  await new Promise((r) => setTimeout(r, 600)); // one more sample of the gauge
  return {
    maxDelay: Number(await frame.locator('#loop-text').getAttribute('data-max')),
    computeMs: Number(await frame.locator('#requests').getAttribute('data-compute-ms')),
    rows: await frame.locator('#occupancy').innerText(),
  };
}

describe('the thread-pools lesson, as a reader uses it', { timeout: 20 * 60_000 }, () => {
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

  test('the libuv timeline steps by keyboard and follows the pool size and the cores; the rule computes threads', async () => {
    const timeline = page.getByTestId('libuv-timeline');
    await timeline.scrollIntoViewIfNeeded();
    await page.locator('astro-island:not([ssr])').filter({ has: timeline }).waitFor({ timeout: 60_000 });
    const caption = timeline.getByTestId('libuv-state');
    const time = timeline.getByRole('slider', { name: 'Time' });
    // Default: 4 threads, 8 cores. Half a call in, four run and four wait.
    await time.focus();
    await time.press('Home');
    for (let i = 0; i < 10; i++) await time.press('ArrowRight');
    await waitFor('4 running, 4 waiting', async () => /4 running, 4 waiting for a thread, 0 done/.test(await caption.innerText()));
    await time.press('End');
    assert.match(await caption.innerText(), /At 2\.0 × one call: 0 running, 0 waiting for a thread, 8 done/);
    // Eight threads: all run at once, done after one call's time.
    await timeline.getByRole('combobox', { name: /^UV_THREADPOOL_SIZE/ }).selectOption('8');
    await waitFor('one wave', async () => /At 1\.0 × one call: 0 running, 0 waiting for a thread, 8 done/.test(await caption.innerText()));
    // Eight threads on two cores: they share, and take four times as long.
    await timeline.getByRole('combobox', { name: /^Cores/ }).selectOption('2');
    await time.press('End');
    await waitFor('shared cores', async () => /At 4\.0 × one call: .*8 threads share 2 cores, so each running call goes at 25% speed/.test(await caption.innerText()));

    const rule = page.getByTestId('pool-rule');
    await rule.scrollIntoViewIfNeeded();
    await page.locator('astro-island:not([ssr])').filter({ has: rule }).waitFor({ timeout: 60_000 });
    await rule.getByRole('spinbutton', { name: 'Cores' }).fill('2');
    await waitFor('the rule for 2 cores, wait 45, compute 5', async () => (await rule.getByTestId('pool-rule-threads').innerText()) === '20 threads');
    await rule.getByRole('spinbutton', { name: 'Wait per task (ms)' }).fill('0');
    await waitFor('CPU-bound', async () => (await rule.getByTestId('pool-rule-threads').innerText()) === '2 threads');
  });

  // What each starting point gets wrong, as the check tells the reader.
  const failures: Record<string, RegExp> = {
    'reuse-threads': /The CPU pool \(size \d+\) ran \d+ tasks on \d+ different threads: run\(\) starts a new Worker for every task/,
    'keep-the-event-loop-free': /While password hashes ran, \/health took a median .* the hashes run on the thread that runs the event loop.*cpuPool\.run/,
    'size-it': /The CPU pool ran \d+ tasks at once on \d+ cores.*CPU_POOL_SIZE = CORES/,
    'bounded-queue': /All \d+ requests were accepted and the queue grew to \d+ tasks.*QueueFull.*503 and a Retry-After header/,
  };

  Object.entries(failures).forEach(([step, reason], i) => {
    test(`step ${i + 1} (${step}): Check fails on the starting files with its reason, and passes on the solution`, async () => {
      await page.locator('.hp-step-select select').selectOption({ index: i });
      const failed = await check();
      assert.equal(failed.verdict, 'fail', failed.reason);
      assert.match(failed.reason, reason);
      let onMain: { maxDelay: number; computeMs: number; rows: string } | undefined;
      if (step === 'keep-the-event-loop-free') {
        await waitForRunning(page);
        onMain = await hashEight();
        assert.match(onMain.rows, /main thread/, 'the hashes appear on the main thread\'s row');
        // A hash on the main thread holds the event loop for all of its compute time, so the
        // gauge shows at least most of it, however busy the machine (a busy machine only adds).
        assert.ok(onMain.maxDelay >= 0.5 * onMain.computeMs, `the gauge showed the loop held: ${onMain.maxDelay} ms delay for ${onMain.computeMs} ms hashes`);
      }
      await applySolution();
      const passed = await check();
      assert.equal(passed.verdict, 'pass', passed.reason);
      if (onMain) {
        await waitForRunning(page);
        const inPool = await hashEight();
        assert.doesNotMatch(inPool.rows, /main thread/, 'no hash on the main thread any more');
        assert.match(inPool.rows, /cpu #\d+/);
        assert.ok(Number.isFinite(inPool.maxDelay) && inPool.computeMs > 0, 'the gauge and the hashes\' figures update with the pool too');
      }
    });
  });

  test('with the finished sandbox, the experiments produce figures: a thread per task against the pool, libuv, the sizing chart, a flood', async () => {
    const step = page.locator('.hp-step-select select');
    if ((await step.evaluate((s: HTMLSelectElement) => s.selectedIndex)) !== 3 || !(await page.locator('.hp-workbench[data-run-state="running"]').count())) {
      await step.selectOption({ index: 3 });
      await applySolution();
      await button('Run').click();
    }
    await waitForRunning(page);
    const frame = preview();
    await frame.locator('#status[data-state="open"]').waitFor({ timeout: 120_000 });

    // The occupancy chart gains bars as io requests run, without a reload.
    const bars = Number(await frame.locator('#occupancy').getAttribute('data-bars'));
    await frame.getByRole('button', { name: 'Send 50 io requests' }).click();
    await waitFor('50 io bars', async () => Number(await frame.locator('#occupancy').getAttribute('data-bars')) >= bars + 50, 60_000);
    assert.match(await frame.locator('#occupancy').innerText(), /io #\d+/);
    await frame.locator('#occupancy').focus();
    await frame.locator('#occupancy').press('End');
    assert.match(await frame.locator('#bar-detail').innerText(), /io task on io pool, thread #\d+: .* computing\)/);

    // A thread per task against the pool and piscina.
    await frame.getByRole('button', { name: 'Run 200 tasks each way' }).click();
    const compare = frame.locator('#compare[data-done]');
    await compare.waitFor({ timeout: 300_000 }); // 200 thread starts: slow on a busy machine
    const rows = await compare.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 3);
    const perTask = rows.map((r) => Number(/([\d.]+) ms/.exec(r)?.[1]));
    assert.ok(perTask.every((x) => x > 0), rows.join(' | '));
    assert.ok(perTask[0]! > perTask[1]!, `a new thread per task costs more than the pool: ${rows.join(' | ')}`);

    // libuv's pool with 8 threads: eight calls drawn.
    await frame.getByLabel('UV_THREADPOOL_SIZE').selectOption('8');
    await frame.getByRole('button', { name: 'Run in a new process' }).click();
    await waitFor('eight pbkdf2 calls drawn', async () => (await frame.locator('#uv').getAttribute('data-size')) === '8', 60_000);
    assert.equal(await frame.locator('#uv').getAttribute('data-calls'), '8');
    assert.match(await frame.locator('#uv-text').innerText(), /UV_THREADPOOL_SIZE=8: one call alone takes/);

    // The sizing experiment at wait/compute 3: a point per size, charted with the rule.
    const ratio = frame.locator('#ratio');
    await ratio.focus();
    for (let i = 0; i < 6; i++) await ratio.press('ArrowLeft');
    assert.equal(await frame.locator('#ratio-out').innerText(), '3');
    // Each size's number is posted to the lesson page (which, in a workshop, sends it to the class's chart).
    await page.evaluate(() => {
      const w = window as unknown as { posted: unknown[] };
      w.posted = [];
      addEventListener('message', (e) => (e.data as { hotpot?: string })?.hotpot === 'result' && w.posted.push(e.data));
    });
    await frame.getByRole('button', { name: 'Run pool sizes' }).click();
    await waitFor('the sizing experiment done', async () => /^done/.test(await frame.locator('#sizing-progress').innerText()), 240_000, 500);
    const points = Number(await frame.locator('#sizing-chart').getAttribute('data-points'));
    assert.ok(points >= 4, `sizes measured: ${points}`);
    assert.equal(await frame.locator('#sizing-chart canvas').count(), 1, 'a uPlot chart');
    assert.match(await frame.locator('#sizing-chart').innerText(), /rule: \d+ threads/);
    const table = await frame.locator('#sizing-table tbody tr').allInnerTexts();
    assert.equal(table.length, points);
    for (const row of table) assert.match(row, /^\d+\s+\d+\s+[\d.]+ ms\s+\d+\s+\d+$/);
    const postedNow = () => page.evaluate(() => (window as unknown as { posted: unknown[] }).posted);
    await waitFor('a number posted per size', async () => (await postedNow()).length >= points, 10_000);
    const posted = await postedNow();
    assert.deepEqual(
      posted,
      table.map((row) => {
        const [size, throughput] = row.split(/\s+/).map(Number) as [number, number];
        return { hotpot: 'result', experiment: `sizing-wait3-threads${size}`, label: `Pool sizing, wait/compute 3: ${size} thread${size === 1 ? '' : 's'}`, value: throughput, unit: 'tasks/s' };
      }),
      'one number per pool size, as the table shows it',
    );

    // A flood: some refused with 503 and Retry-After.
    await frame.getByRole('button', { name: /^Flood/ }).click();
    await frame.locator('#flood[data-done]').waitFor({ timeout: 120_000 });
    assert.match(await frame.locator('#flood').innerText(), /1500 requests, 400 at a time: \d+ answered 200, [1-9]\d* answered 503 with Retry-After: 1; the I\/O queue peaked at (\d|[1-5]\d|6[0-4])\./);
  });
});

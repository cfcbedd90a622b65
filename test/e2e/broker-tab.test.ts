// The Broker tab: a reader watches the queue's keys change as the worker runs, follows the
// command stream, pauses it, and types commands as in redis-cli.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LESSON, courseAndBrowser, openCourse, waitFor, waitForRunning } from './harness.ts';

describe('the Broker tab', { timeout: 5 * 60_000 }, () => {
  const shared = courseAndBrowser();

  test('keys, the MONITOR stream with pause, and a redis-cli style console', async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    await page.goto(`${shared.course.origin}${LESSON}?runtime=local`);
    const workbench = page.getByRole('region', { name: 'Workbench' });
    // Step 1's solution puts sign-ups on the queue.
    await workbench.getByRole('button', { name: 'Solution', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Apply solution' }).click();
    await workbench.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);

    const preview = page.frameLocator('iframe[title="Sandbox preview"]');
    await preview.locator('input[name="name"]').fill('Grace');
    await preview.locator('input[name="email"]').fill('grace@example.com');
    await preview.getByRole('button', { name: 'Sign up' }).click();

    await workbench.getByRole('tab', { name: 'Broker', exact: true }).click();
    // Keys, commands and the console are views of their own, each with the pane's whole height.
    const views = page.getByRole('tablist', { name: 'Broker views' });
    const keys = page.getByRole('tabpanel', { name: 'Keys' });
    await waitFor('the job hash to appear among the keys', async () => (await keys.locator('[data-key="bull:emails:1"]').count()) === 1, 60_000);
    const row = keys.locator('[data-key="bull:emails:1"]');
    assert.match(await row.innerText(), /hash/);
    await row.getByRole('button').click();
    await waitFor('the job hash to show the sign-up, then its completion', async () => /grace@example\.com[\s\S]*finishedOn|finishedOn[\s\S]*grace@example\.com/.test(await row.innerText()), 60_000);
    assert.equal(await keys.locator('[data-key="bull:emails:completed"]').count(), 1, 'the completed sorted set exists');

    // The command stream runs while the worker polls, and stops when paused.
    await views.getByRole('tab', { name: 'Commands' }).click();
    await keys.waitFor({ state: 'hidden', timeout: 5_000 }); // one view at a time
    const monitor = page.getByTestId('monitor');
    await waitFor('MONITOR lines', async () => (await monitor.innerText()).split('\n').length > 3, 30_000);
    const stream = page.getByRole('tabpanel', { name: 'Command stream' });
    // The newest line is in sight: the stream follows its end.
    await waitFor('the stream scrolled to its end', () => monitor.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40), 10_000);
    await stream.getByRole('button', { name: 'Pause' }).click();
    await page.waitForTimeout(500);
    const frozen = await monitor.innerText();
    await page.waitForTimeout(2000);
    assert.equal(await monitor.innerText(), frozen, 'no new lines while paused');
    await stream.getByRole('button', { name: 'Resume' }).click();
    await waitFor('MONITOR lines after resuming', async () => (await monitor.innerText()) !== frozen, 30_000);

    // The console answers as redis-cli does.
    await views.getByRole('tab', { name: 'Console' }).click();
    const command = page.getByRole('textbox', { name: 'Broker command' });
    await command.fill('HGET bull:emails:1 name');
    await command.press('Enter');
    await command.fill('SET greeting "hello hotpot"');
    await command.press('Enter');
    await command.fill('TYPE bull:emails:completed');
    await command.press('Enter');
    const consoleLog = page.getByTestId('console');
    await waitFor('three answers', async () => /> TYPE bull:emails:completed\nzset/.test(await consoleLog.innerText()), 15_000);
    const text = await consoleLog.innerText();
    assert.match(text, /> HGET bull:emails:1 name\n"welcome"/);
    assert.match(text, /> SET greeting "hello hotpot"\nOK/);
    await views.getByRole('tab', { name: /^Keys/ }).click();
    await waitFor('the new key in the list', async () => (await keys.locator('[data-key="greeting"]').count()) === 1, 10_000);
    await context.close();
  });
});

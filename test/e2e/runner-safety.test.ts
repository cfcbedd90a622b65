// The local runner's guard rails, as seen from a browser: the token, path checks, and no
// process left behind when the page closes or the server exits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { LESSON, cleanup, launchBrowser, openCourse, processesUnder, startCourse, waitFor, waitForRunning, type Course } from './harness.ts';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('the token', { timeout: 120_000 }, () => {
  let course: Course;
  before(async () => (course = await startCourse()));
  after(async () => {
    await course.stop();
    cleanup(course);
  });

  test('a page or API request without the token gets 401, with a wrong one 403; the link with it lets the reader in', async () => {
    assert.equal((await fetch(`${course.origin}${LESSON}`)).status, 401);
    assert.equal((await fetch(`${course.origin}/api/runner/health`)).status, 401);
    assert.equal((await fetch(`${course.origin}${LESSON}?token=wrong`)).status, 403);
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused = await page.goto(`${course.origin}${LESSON}`);
    assert.equal(refused!.status(), 401);
    assert.match(await page.locator('body').innerText(), /npm start/);
    await page.goto(course.url);
    const ok = await page.goto(`${course.origin}${LESSON}`);
    assert.equal(ok!.status(), 200);
    await context.close();
  });

  test('a WebSocket to the runner without the token, or from another origin, is refused', async () => {
    const { default: WebSocket } = await import('ws');
    const attempt = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => (ws.close(), resolve(101)));
        ws.on('error', () => resolve(-1));
      });
    const ws = course.origin.replace('http', 'ws');
    assert.equal(await attempt(`${ws}/api/runner`), 401);
    assert.equal(await attempt(`${ws}/api/runner?token=nope`), 403);
    assert.equal(await attempt(`${ws}/api/runner?token=${course.token}`, { Origin: 'http://evil.example' }), 403);
    assert.equal(await attempt(`${ws}/api/runner?token=${course.token}`, { Origin: course.origin }), 101);
  });
});

describe('sandbox lifetime and paths', { timeout: 5 * 60_000 }, () => {
  let course: Course;
  before(async () => (course = await startCourse()));
  after(async () => {
    await course.stop();
    cleanup(course);
  });

  test('a file path that escapes the sandbox is refused with a clear error and nothing is written', async () => {
    const { context, page } = await openCourse(browser, course);
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    const answer = await page.evaluate(async () => {
      const token = document.querySelector<HTMLMetaElement>('meta[name="hotpot-runner-token"]')!.content;
      const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/api/runner?token=${token}`);
      await new Promise((r) => ws.addEventListener('open', r, { once: true }));
      const reply = new Promise<string>((resolve) =>
        ws.addEventListener('message', (e) => {
          const m = JSON.parse(String(e.data));
          if (m.type === 'error') resolve(JSON.stringify(m));
        }),
      );
      ws.send(JSON.stringify({ type: 'run', sandbox: 'async-tasks', step: 'make-it-async', files: { 'worker.ts': '', '../../escaped.txt': 'x' } }));
      const r = await reply;
      ws.close();
      return r;
    });
    const m = JSON.parse(answer);
    assert.match(m.message, /escaped\.txt/);
    assert.match(m.message, /inside the sandbox|refused|not allowed/i);
    assert.equal(existsSync(join(course.tmp, 'escaped.txt')), false);
    assert.deepEqual(readdirSync(course.tmp).filter((f) => f.startsWith('hotpot-run-')), [], 'no run directory was made');
    await context.close();
  });

  test('a file over the size limit: Run fails with a message naming it, and nothing starts', async () => {
    const { context, page } = await openCourse(browser, course);
    // Step files slow to arrive, as on a busy machine: the huge file must still be the one run.
    await context.route('**/steps/**', async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    try {
      // As if the reader pasted a huge file into the editor: once the step's files are here,
      // as a reader could not type before then either (the editor is read-only while they load).
      type Model = { ready: boolean; files: { value: Record<string, string> }; edit(p: string, c: string): void };
      await page.waitForFunction(() => (globalThis as unknown as { __hotpot?: Model }).__hotpot?.ready === true);
      const size = await page.evaluate(() => {
        const model = (globalThis as unknown as { __hotpot: Model }).__hotpot;
        model.edit('email.ts', 'x'.repeat(600 * 1024));
        return model.files.value['email.ts']!.length;
      });
      assert.equal(size, 600 * 1024, 'the huge file is in the editor');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      const failure = page.getByTestId('run-failure');
      await failure.waitFor({ timeout: 30_000 });
      assert.match(await failure.innerText(), /email\.ts/);
      assert.match(await failure.innerText(), /KiB|too large|limit/i);
      assert.equal(await page.locator('.hp-workbench').getAttribute('data-run-state'), 'failed');
      assert.deepEqual(processesUnder(course.tmp), []);
      await page.getByRole('button', { name: 'Reset', exact: true }).click();
    } finally {
      // A failure here must not leave a run behind for the next test to count.
      await context.close();
    }
  });

  test('closing the page stops the sandbox: no process remains', async () => {
    const { context, page } = await openCourse(browser, course);
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);
    assert.ok(processesUnder(course.tmp).length >= 3);
    await page.close();
    await waitFor('the sandbox processes to be gone after the page closed', () => processesUnder(course.tmp).length === 0, 20_000);
    await context.close();
  });

  test('the server exiting stops every sandbox: no process remains', async () => {
    const { context, page } = await openCourse(browser, course);
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);
    const pids = processesUnder(course.tmp);
    assert.ok(pids.length >= 3);
    const code = await course.stop('SIGTERM');
    assert.equal(code, 0, 'the server exits cleanly on SIGTERM');
    await waitFor('the sandbox processes to be gone after the server exited', () => processesUnder(course.tmp).length === 0, 15_000);
    await context.close();
  });
});

describe('the preview has its own origin', { timeout: 5 * 60_000 }, () => {
  let course: Course;
  before(async () => (course = await startCourse()));
  after(async () => {
    await course.stop();
    cleanup(course);
  });

  test('the preview embeds and works, yet cannot reach the token, the runner or the course page; a tab opened on it survives the next Run', async () => {
    const { context, page } = await openCourse(browser, course);
    const cspErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && /Content.Security.Policy/i.test(m.text()) && cspErrors.push(m.text()));
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);
    const iframe = page.locator('iframe[title="Sandbox preview"]');
    const src = (await iframe.getAttribute('src'))!;
    const preview = new URL(src);
    assert.match(preview.hostname, /^async-tasks-web-[0-9a-f]{20}\.localhost$/, src);
    assert.notEqual(preview.origin, course.origin);
    // The frame gets scripts, forms and its own origin, nothing of the course's tab.
    assert.deepEqual((await iframe.getAttribute('sandbox'))!.split(/\s+/).sort(), ['allow-forms', 'allow-same-origin', 'allow-scripts']);
    // The frame's element has its address before the frame has navigated to it: wait for the page inside.
    await page.frameLocator('iframe[title="Sandbox preview"]').getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 30_000 });
    const frame = page.frames().find((f) => f.url().startsWith(preview.origin))!;
    assert.ok(frame, `a frame at ${preview.origin}`);
    assert.deepEqual(cspErrors, [], "the preview's headers hold no policy the browser rejects");
    // What a hostile page in the preview would try.
    const reach = await frame.evaluate(async (courseOrigin) => {
      const tried = { cookie: '', meta: '', parent: '', api: '', socket: '' };
      tried.cookie = document.cookie;
      tried.meta = String(document.querySelector('meta[name="hotpot-runner-token"]'));
      try {
        tried.parent = String(window.parent.document.querySelector('meta[name="hotpot-runner-token"]'));
      } catch (e) {
        tried.parent = `refused: ${(e as Error).name}`;
      }
      try {
        const res = await fetch(`${courseOrigin}/api/runner/health`, { credentials: 'include' });
        tried.api = `status ${res.status}`;
      } catch (e) {
        tried.api = `refused: ${(e as Error).name}`;
      }
      tried.socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${courseOrigin.replace('http', 'ws')}/api/runner`);
        ws.onopen = () => (ws.close(), resolve('open'));
        ws.onerror = () => resolve('refused');
      });
      return tried;
    }, course.origin);
    assert.equal(reach.cookie, '', 'no token cookie on the preview origin');
    assert.equal(reach.meta, 'null', 'no token in the preview page');
    assert.match(reach.parent, /^refused: SecurityError/, 'the course page is out of reach');
    assert.match(reach.api, /^refused: TypeError/, "the runner's API answers no cross-origin read");
    assert.equal(reach.socket, 'refused', "the runner's socket refuses the preview's origin");

    // "Open in new tab", then Run again: the tab's address still shows the sandbox.
    const tab = await context.newPage();
    await tab.goto(src);
    await tab.getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    const stopped = await tab.reload();
    assert.equal(stopped!.status(), 404);
    assert.match(await tab.locator('body').innerText(), /This preview is not running/);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);
    assert.equal(await iframe.getAttribute('src'), src, "the workbench's frame has the same address");
    const again = await tab.reload();
    assert.equal(again!.status(), 200);
    await tab.getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 30_000 });
    await context.close();
  });
});

describe('processes tied to the run', { timeout: 5 * 60_000 }, () => {
  test('kill -9 of the runner: the watchdog ends every sandbox process and removes the run folder', async () => {
    const course = await startCourse();
    try {
      const { context, page } = await openCourse(browser, course);
      await page.goto(`${course.origin}${LESSON}?runtime=local`);
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await waitForRunning(page);
      assert.ok(processesUnder(course.tmp).length >= 3);
      await course.stop('SIGKILL');
      await waitFor('the sandbox processes to be gone after the runner was killed', () => processesUnder(course.tmp).length === 0, 20_000);
      await waitFor('the run folder to be removed', () => readdirSync(course.tmp).filter((f) => f.startsWith('hotpot-run-')).length === 0, 10_000);
      await context.close();
    } finally {
      await course.stop();
      cleanup(course);
    }
  });
});

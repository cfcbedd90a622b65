// A reader on another computer: `npm start -- --host 0.0.0.0 --allow-remote`, the course opened
// in Chromium through this machine's own non-loopback address (not `localhost`, so the browser
// treats it as another computer would; `.localhost` names would point at the visitor's own).
// The preview must load in the frame and in a new tab, keep its address across Run, live on
// another origin than the course, and get nothing of the reader's token by any route.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { LESSON, cleanup, launchBrowser, startCourse, waitFor, waitForRunning, type Course } from './harness.ts';

function outsideIPv4(): string | null {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  return null;
}
const address = outsideIPv4();

describe('previews from another computer (--allow-remote)', { timeout: 6 * 60_000, skip: address === null ? 'this machine has no non-loopback IPv4 address' : false }, () => {
  let browser: Browser;
  let course: Course;
  let origin: string;
  before(async () => {
    course = await startCourse(['--host', '0.0.0.0', '--allow-remote']);
    origin = `http://${address}:${new URL(course.origin).port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await course?.stop();
    if (course) cleanup(course);
  });

  async function runLesson(page: Page): Promise<string> {
    await page.goto(`${origin}${LESSON}?runtime=local`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);
    return (await page.locator('iframe[title="Sandbox preview"]').getAttribute('src'))!;
  }

  test('the preview loads in the frame and a new tab, on its own origin, and keeps its address across Run', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${origin}/?token=${course.token}`);
    const src = await runLesson(page);
    const preview = new URL(src);
    assert.equal(preview.hostname, address, 'the name the reader used for the course');
    assert.notEqual(preview.origin, origin, 'another origin than the course');
    await page.frameLocator('iframe[title="Sandbox preview"]').getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 60_000 });
    const frame = page.frames().find((f) => f.url().startsWith(`${preview.origin}/`));
    assert.ok(frame, `a frame at ${preview.origin}`);
    assert.equal(new URL(frame.url()).pathname, '/', 'the key has left the address once it became a cookie');

    // "Open in new tab" (the workbench's own link), then Stop and Run again: the tab's address holds.
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Open in new tab' }).click()]);
    await tab!.getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 60_000 });
    assert.equal(new URL(tab!.url()).origin, preview.origin);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    const stopped = await tab!.reload();
    assert.equal(stopped!.status(), 404);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);
    assert.equal(await page.locator('iframe[title="Sandbox preview"]').getAttribute('src'), src, 'the frame has the same address');
    await page.frameLocator('iframe[title="Sandbox preview"]').getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 60_000 });
    const again = await tab!.reload();
    assert.equal(again!.status(), 200);
    await tab!.getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 60_000 });

    // The Broker tab reaches the broker's inspector through its own preview port.
    await page.getByRole('region', { name: 'Workbench' }).getByRole('tab', { name: 'Broker', exact: true }).click();
    await page.getByRole('tablist', { name: 'Broker views' }).getByRole('tab', { name: 'Console' }).click();
    const command = page.getByRole('textbox', { name: 'Broker command' });
    await command.fill('SET greeting "from afar"');
    await command.press('Enter');
    await waitFor('the broker to answer', async () => /> SET greeting "from afar"\nOK/.test(await page.getByTestId('console').innerText()), 30_000);

    // Someone else on the network who finds the port, without the link the course gave: nothing.
    const stranger = await browser.newContext();
    const probe = await (await stranger.newPage()).goto(`${preview.origin}/`);
    assert.equal(probe!.status(), 401);
    await stranger.close();
    await context.close();
  });

  test('the WebSockets lesson: each chat pane connects its socket through its own port', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${origin}/?token=${course.token}`);
    await page.goto(`${origin}/lessons/websockets/?runtime=local`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitForRunning(page);
    const a = page.frameLocator('iframe[title="Sandbox preview: chat-a"]');
    const b = page.frameLocator('iframe[title="Sandbox preview: chat-b"]');
    await a.locator('#status[data-state="open"]').waitFor({ timeout: 60_000 });
    await b.locator('#status[data-state="open"]').waitFor({ timeout: 60_000 });
    const origins = await page.locator('iframe[title^="Sandbox preview: chat-"]').evaluateAll((els) => els.map((e) => new URL((e as HTMLIFrameElement).src).origin));
    assert.equal(new Set([...origins, origin]).size, 3, `chat-a, chat-b and the course are three origins: ${origins.join(', ')}`);
    // Each pane's socket reached its own instance (what the pages say once connected).
    assert.match(await a.locator('#status').innerText(), /instance a/);
    assert.match(await b.locator('#status').innerText(), /instance b/);
    await context.close();
  });

  test("a hostile preview page gets nothing of the reader's token: not its cookie, the API, the runner's socket or the Broker tab's inspector", async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    // The Broker tab's inspector socket, with its key and the run's secret, as the course page opens it.
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${origin}/?token=${course.token}`);
    const src = await runLesson(page);
    await page.frameLocator('iframe[title="Sandbox preview"]').getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 60_000 });
    const frame = page.frames().find((f) => f.url().startsWith(`${new URL(src).origin}/`))!;
    const inspector = sockets.find((u) => u.includes('/hotpot-preview-key/') && u.includes('secret='));
    assert.ok(inspector, `the Broker tab's socket among ${JSON.stringify(sockets)}`);
    const port = new URL(origin).port;

    const tried = await frame.evaluate(
      async ({ courseOrigin, inspector, port }) => {
        const socket = (url: string) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => (ws.close(), resolve('open'));
            ws.onerror = () => resolve('refused');
          });
        const out = { cookie: document.cookie, api: '', post: '', socket: '', inspector: '', planted: '' };
        try {
          const res = await fetch(`${courseOrigin}/api/runner/health`, { credentials: 'include' });
          out.api = `status ${res.status}`;
        } catch (e) {
          out.api = `refused: ${(e as Error).name}`;
        }
        try {
          const res = await fetch(`${courseOrigin}/api/runner`, { method: 'POST', credentials: 'include', body: '{"type":"stop"}' });
          out.post = `status ${res.status}`;
        } catch (e) {
          out.post = `refused: ${(e as Error).name}`;
        }
        out.socket = await socket(`${courseOrigin.replace('http', 'ws')}/api/runner`);
        out.inspector = await socket(inspector);
        // Cookies ignore ports: cookies named like the runner's, for the course's paths, set from here.
        document.cookie = `hotpot_token_${port}=planted; path=/`;
        document.cookie = `hotpot_token_${port}=planted; path=/api/runner`;
        document.cookie = `hotpot_token_${port}=planted; path=/lessons`;
        out.planted = document.cookie;
        return out;
      },
      { courseOrigin: origin, inspector, port },
    );
    assert.equal(tried.cookie, '', 'the token and the preview key are HttpOnly: no script reads them');
    assert.match(tried.api, /^refused: TypeError/, "the runner's API answers no read from the preview");
    assert.match(tried.post, /^refused: TypeError/);
    assert.equal(tried.socket, 'refused', "the runner's socket refuses the preview's origin");
    assert.equal(tried.inspector, 'refused', "the Broker tab's inspector refuses another preview, even with its key and secret");
    assert.equal(tried.planted, '', 'a script cannot overwrite the HttpOnly token cookie at its path; the others are for other paths');

    // The reader's course still works with those cookies in the jar: a reload, a new Run, a preview.
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
    const planted = (await context.cookies()).filter((c) => c.name === `hotpot_token_${port}` && c.value === 'planted').map((c) => c.path);
    assert.deepEqual(planted.sort(), ['/api/runner', '/lessons'], 'the cookies for other paths are in the jar, sent before the real one');
    assert.equal(await runLesson(page), src);
    await page.frameLocator('iframe[title="Sandbox preview"]').getByRole('button', { name: 'Sign up' }).waitFor({ timeout: 60_000 });
    await context.close();
  });
});

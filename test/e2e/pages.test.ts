// What a reader sees before running anything: the course map, the lesson page, the editor
// with IntelliSense, and the phone layout.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LESSON, courseAndBrowser, openCourse, waitFor } from './harness.ts';

describe('pages', { timeout: 5 * 60_000 }, () => {
  const shared = courseAndBrowser();

  test('the course map lists the five lessons in order, the live ones with progress, the rest coming', async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    const items = page.getByRole('list', { name: 'Course map' }).getByRole('listitem');
    assert.equal(await items.count(), 5);
    const text = await items.allInnerTexts();
    ['Async', 'Schedul', 'Thread pool', 'event loop', 'WebSocket'].forEach((w, i) => assert.match(text[i]!, new RegExp(w, 'i')));
    assert.match(text[0]!, /0 of 3 steps done/);
    assert.match(text[1]!, /0 of 4 steps done/);
    assert.match(text[2]!, /0 of 4 steps done/);
    assert.match(text[3]!, /0 of 4 steps done/);
    assert.match(text[4]!, /0 of 6 steps done/);
    await items.first().getByRole('link').click();
    await page.waitForURL(`**${LESSON}`);
    await context.close();
  });

  test('the course map and every lesson name the article the course grew from, in its introduction', async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    const source = page.getByRole('note', { name: 'Source' });
    assert.match(await source.innerText(), /django如何处理并发.*How Django handles concurrency.*首席CTO笔记.*2023/s);
    const lessons = await page.getByRole('list', { name: 'Course map' }).getByRole('link').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    assert.equal(lessons.length, 5);
    for (const href of lessons) {
      // Read each lesson's HTML as the browser gets it: the note sits before the first section heading.
      const where = await page.evaluate(async (url) => {
        const doc = new DOMParser().parseFromString(await (await fetch(url)).text(), 'text/html');
        const note = doc.querySelector('#lesson-prose [role=note][aria-label="Source"]');
        const h2 = doc.querySelector('#lesson-prose h2');
        return { text: note?.textContent ?? '', beforeFirstSection: !!note && !!h2 && !!(note.compareDocumentPosition(h2) & Node.DOCUMENT_POSITION_FOLLOWING) };
      }, href);
      assert.match(where.text, /django如何处理并发.*首席CTO笔记.*re-runs its \w+/s, `${href} names the article and the part it re-runs`);
      assert.ok(where.beforeFirstSection, `${href}: the source is named in the introduction`);
    }
    await context.close();
  });

  test('the lesson is readable before the workbench is touched, and Monaco loads on first use with IntelliSense for bullmq', async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    const scripts: string[] = [];
    page.on('request', (r) => r.resourceType() === 'script' && scripts.push(r.url()));
    await page.goto(`${shared.course.origin}${LESSON}?runtime=local`);
    await page.locator('.hp-editor-static').waitFor();
    assert.equal(await page.locator('.monaco-editor').count(), 0, 'no editor before the reader engages');
    assert.ok(!scripts.some((u) => /monaco|editor\.api|xterm/i.test(u)), `no editor or terminal code loaded yet:\n${scripts.join('\n')}`);

    // Monaco's stylesheet held back 1.5 s, so the editor is always ready first: it must wait for
    // the styles rather than show a bare input box. Recorded when the editor enters the page.
    await page.route(/editor\.main.*\.css/, async (route) => (await new Promise((r) => setTimeout(r, 1500)), route.continue()));
    await page.evaluate(() => {
      const styled = () => [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')].some((l) => /editor\.main/.test(l.href) && l.sheet !== null);
      new MutationObserver((_, observer) => {
        if (!document.querySelector('.hp-editor-host .monaco-editor')) return;
        (globalThis as { __styledAtMount?: boolean }).__styledAtMount = styled();
        observer.disconnect();
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.locator('button.hp-file[data-path="worker.ts"]').click();
    await page.locator('.hp-editor-host .monaco-editor').waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate(() => (globalThis as { __styledAtMount?: boolean }).__styledAtMount), true, 'the editor appears with its styles');
    // Hover over the imported Worker class: TypeScript knows bullmq's declaration.
    const word = page.locator('.hp-editor-host .view-lines span', { hasText: /^Worker$/ }).first();
    await word.waitFor();
    await waitFor(
      'a hover with bullmq\'s Worker type',
      async () => {
        await word.hover();
        const hover = page.locator('.monaco-hover-content');
        return (await hover.count()) > 0 && /class Worker/.test(await hover.first().innerText());
      },
      120_000,
      1000,
    );
    await context.close();
  });

  test('every response is cross-origin isolated, so the page can host a WebContainer', async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    const responses: { url: string; headers: Record<string, string> }[] = [];
    page.on('response', (r) => responses.push({ url: r.url(), headers: r.headers() }));
    await page.goto(`${shared.course.origin}${LESSON}`, { waitUntil: 'networkidle' });
    // What a WebContainer boot fetches from this site too: the dependency snapshot and a check file.
    for (const path of ['/generated/sandbox-modules.bin', '/generated/strip-types.bin', '/generated/checks/async-tasks/checks/lib.ts'])
      await page.evaluate(async (p) => void (await fetch(p)).arrayBuffer(), path);
    const own = responses.filter((r) => r.url.startsWith(shared.course.origin));
    assert.ok(own.length >= 8, `the page, its scripts and styles, and the generated files: ${own.length} responses`);
    for (const { url, headers } of own) {
      assert.equal(headers['cross-origin-opener-policy'], 'same-origin', url);
      assert.equal(headers['cross-origin-embedder-policy'], 'require-corp', url);
      assert.equal(headers['cross-origin-resource-policy'], 'same-origin', url);
    }
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    await context.close();
  });

  test('on a phone the workbench collapses to tabs', async () => {
    const { context, page } = await openCourse(shared.browser, shared.course, { width: 390, height: 844 });
    await page.goto(`${shared.course.origin}${LESSON}?runtime=local`);
    // Below the lesson on a phone, the workbench comes alive when it comes into view.
    await page.locator('.hp-workbench').scrollIntoViewIfNeeded();
    await page.locator('.hp-controls:not([disabled])').waitFor();
    const tabs = page.getByRole('tablist', { name: 'Workbench panes' });
    await tabs.waitFor();
    assert.equal(await page.locator('.hp-pane-preview').isVisible(), false);
    await tabs.getByRole('tab', { name: 'Preview' }).click();
    await page.locator('.hp-pane-preview').waitFor({ state: 'visible', timeout: 5_000 });
    await page.locator('.hp-pane-code').waitFor({ state: 'hidden', timeout: 5_000 });
    // The code takes the phone's whole width; the file list opens from the file's name, over the editor.
    await tabs.getByRole('tab', { name: 'Code' }).click();
    const editorWidth = (await page.locator('.hp-editor-wrap').boundingBox())!.width;
    assert.ok(editorWidth >= 0.9 * (await page.locator('.hp-pane-code').boundingBox())!.width, `the editor is ${editorWidth}px wide`);
    const files = page.getByRole('navigation', { name: 'Sandbox files' });
    assert.equal(await files.isVisible(), false);
    const toggle = page.locator('button.hp-files-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    await files.locator('button.hp-file[data-path="worker.ts"]').click();
    await files.waitFor({ state: 'hidden' });
    assert.match(await toggle.innerText(), /worker\.ts/);
    await page.locator('.hp-editor-host .monaco-editor, .hp-editor-static').first().waitFor();
    assert.match(await page.locator('.hp-editor').innerText(), /Worker/, 'the editor shows worker.ts (server.ts, open before, has no Worker)');
    await tabs.getByRole('tab', { name: 'Preview' }).click();
    // Nothing wider than the screen: the prose of every live lesson reads without sideways scrolling.
    for (const lesson of [LESSON, '/lessons/websockets/']) {
      await page.goto(`${shared.course.origin}${lesson}?runtime=local`);
      // As it first loads (the workbench not yet woken), and once the workbench is.
      await page.locator('h1').waitFor();
      for (const when of ['on load', 'with the workbench awake']) {
        if (when !== 'on load') {
          await page.locator('.hp-workbench').scrollIntoViewIfNeeded();
          await tabs.waitFor();
        }
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${lesson} is ${overflow}px wider than the phone ${when}`);
      }
    }
    await context.close();
  });
});

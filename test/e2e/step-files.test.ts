// A lesson page as light as a page of prose: the workbench's step files are not in its HTML but
// fetched when a step is opened (a failed fetch says so and offers Retry); Kill and Restart are
// in reach whichever terminal is shown; pressing Run moves nothing on the page.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadSandbox } from '../../sandboxes/load.ts';
import { courseAndBrowser, openCourse, waitFor, waitForRunning } from './harness.ts';

// Each lesson's HTML, gzipped: measured at 20.5–34.6 KB once the step files left the page
// (31.8–52.3 KB before), 17.6–32.0 KB once styles and Astro's island scripts left it too, with
// room for some more prose. Most of what is left is the prose.
const HTML_GZIP_BUDGET: Record<string, number> = {
  'async-tasks': 21_000,
  scheduling: 22_500,
  'thread-pools': 21_000,
  'concurrency-models': 23_000,
  websockets: 37_000,
};
const decodeEntities = (html: string) =>
  html.replace(/&(lt|gt|quot|#39|#x27|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", amp: '&' })[e]!);

describe('step files', { timeout: 10 * 60_000 }, () => {
  const shared = courseAndBrowser();

  test("a lesson's HTML carries no step file's contents, and stays under its byte budget", async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    for (const lesson of Object.keys(HTML_GZIP_BUDGET)) {
      const res = await page.request.get(`${shared.course.origin}/lessons/${lesson}/`);
      const html = await res.text();
      const text = decodeEntities(html);
      const sandbox = await loadSandbox(lesson, join(process.cwd(), 'sandboxes'));
      for (const step of sandbox.steps)
        for (const [path, contents] of [...Object.entries(step.files), ...Object.entries(step.solution)]) {
          // A whole file, as an HTML text node or a JSON string (island props) would carry it.
          const whole = contents.trim();
          if (whole.length < 80) continue;
          for (const form of [whole, JSON.stringify(whole).slice(1, -1)]) assert.ok(!text.includes(form), `${lesson}: the page has ${step.id}'s ${path} in it`);
        }
      // Astro's island scripts come from one shared file, the attendee bar's styles only with the bar.
      assert.ok(!html.includes('customElements.define("astro-island"'), `${lesson}: the island runtime is inline`);
      assert.match(html, /<script src="\/_astro\/islands\.[\w-]+\.js" defer><\/script>/);
      assert.ok(!/<link[^>]+workshop[^>]*\.css/.test(html), `${lesson}: the workshop's stylesheet is linked for every reader`);
      const gz = gzipSync(html).length;
      assert.ok(gz < HTML_GZIP_BUDGET[lesson]!, `${lesson}: ${gz} bytes gzipped, over its budget of ${HTML_GZIP_BUDGET[lesson]}`);
    }
    await context.close();
  });

  test("a step's files arrive when it is opened, from a URL that changes with their contents", async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    const fetched: string[] = [];
    page.on('request', (r) => new URL(r.url()).pathname.startsWith('/steps/') && fetched.push(new URL(r.url()).pathname));
    await page.goto(`${shared.course.origin}/lessons/scheduling/?runtime=local`);
    await page.locator('.hp-controls:not([disabled])').waitFor();
    const sandbox = await loadSandbox('scheduling', join(process.cwd(), 'sandboxes'));
    const [first, second] = sandbox.steps;
    await page.locator('.hp-editor-static:not(.hp-files-state)').waitFor();
    assert.deepEqual(fetched.map((p) => p.split('/').at(-1)!.split('.')[0]), [first!.id], 'only the first step is fetched with the page');
    assert.match(fetched[0]!, /^\/steps\/scheduling\/[\w-]+\.[\w-]{12}\.json$/);

    await page.getByRole('combobox', { name: 'Step' }).selectOption({ index: 1 });
    await waitFor('the second step fetched', () => fetched.some((p) => p.includes(`/${second!.id}.`)));
    // The editor shows the second step's file once it has arrived.
    const path = await page.locator('.hp-editor-path').first().innerText();
    const expected = second!.files[path.trim()]!;
    await waitFor("the second step's file in the editor", async () => (await page.locator('.hp-editor-static').first().innerText()).trim() === expected.trim());
    // Back to the first: already here, not fetched again.
    await page.getByRole('combobox', { name: 'Step' }).selectOption({ index: 0 });
    await page.locator('.hp-editor-static:not(.hp-files-state)').waitFor();
    assert.equal(fetched.filter((p) => p.includes(`/${first!.id}.`)).length, 1);
    await context.close();
  });

  test('a step whose files cannot be fetched says so, and Retry brings them', async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    await page.goto(`${shared.course.origin}/lessons/scheduling/?runtime=local`);
    await page.locator('.hp-controls:not([disabled])').waitFor();
    await page.route('**/steps/**', (route) => route.abort('connectionrefused'));
    await page.getByRole('combobox', { name: 'Step' }).selectOption({ index: 2 });
    const alert = page.locator('[data-testid="step-files"][data-state="error"]');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Step 3's files could not be loaded: the network request failed/);
    const workbench = page.getByRole('region', { name: 'Workbench' });
    assert.equal(await workbench.getByRole('button', { name: 'Reset', exact: true }).isDisabled(), true, 'nothing to reset to yet');
    assert.equal(await workbench.getByRole('button', { name: 'Solution', exact: true }).isDisabled(), true);
    await page.unroute('**/steps/**');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.hp-editor-static:not(.hp-files-state)').waitFor();
    assert.equal(await alert.count(), 0);
    assert.equal(await workbench.getByRole('button', { name: 'Reset', exact: true }).isDisabled(), false);
    await context.close();
  });

  test('Run moves nothing, and Kill worker is in reach with the web terminal shown', { timeout: 5 * 60_000 }, async () => {
    const { context, page } = await openCourse(shared.browser, shared.course);
    await page.goto(`${shared.course.origin}/lessons/async-tasks/?runtime=local`);
    await page.locator('.hp-controls:not([disabled])').waitFor();
    const workbench = page.getByRole('region', { name: 'Workbench' });
    const button = (name: string) => workbench.getByRole('button', { name, exact: true });
    // Engaged first (the runtime line has its final words), then Run: the panes stay put.
    await page.locator('.hp-file').first().click();
    await waitFor('the runtime chosen', async () => (await page.locator('.hp-status').getAttribute('data-runtime')) !== 'pending');
    const box = () => page.locator('.hp-panes').boundingBox();
    const before = await box();
    await button('Run').click();
    await waitForRunning(page);
    assert.match(await page.locator('.hp-run-state').innerText(), /Sandbox running/);
    assert.deepEqual(await box(), before, 'the panes did not move when the sandbox started');
    // At 1440×900 the status line keeps to one row, so the panes get the height.
    const line = (await page.locator('.hp-status').boundingBox())!.height;
    const words = (await page.locator('.hp-run-state').boundingBox())!.height;
    assert.ok(line < 2 * words, `the status line is ${line} px high for ${words} px words: it wrapped`);

    // The web terminal is shown; the worker's Kill and Restart are there all the same.
    const tab = (name: string) => workbench.getByRole('tablist', { name: 'Processes' }).getByRole('tab', { name: new RegExp(`^${name}\\b`) });
    await tab('web').click();
    assert.equal(await tab('web').getAttribute('aria-selected'), 'true');
    await waitFor('the worker ready', async () => /running/.test(await tab('worker').innerText()));
    const kill = button('Kill worker');
    await kill.focus();
    await page.keyboard.press('Enter');
    await waitFor('the worker killed', async () => /killed/.test(await tab('worker').innerText()));
    assert.equal(await tab('web').getAttribute('aria-selected'), 'true', 'the web terminal stays shown');
    await button('Restart worker').click();
    await waitFor('the worker back', async () => /running/.test(await tab('worker').innerText()), 60_000);
    await button('Stop').click();
    await context.close();
  });
});

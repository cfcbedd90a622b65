// `npm run bench`: figures for the local runtime and the page weight, measured side by side
// in one run on this machine. Not a test: timings on a shared machine are noisy, so they are
// reported (median of N), never asserted.
import { gzipSync } from 'node:zlib';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { snapshot } from '@webcontainer/snapshot';
import { LESSON, cleanup, launchBrowser, openCourse, startCourse } from '../test/e2e/harness.ts';
import { loadSandbox } from '../sandboxes/load.ts';
import { BROKER_PACKAGE, SANDBOX_ASSETS, SANDBOX_PACKAGES } from '../site/integration/sandbox-modules.ts';
import { positiveInt } from './args.ts';

// The live lessons, each named as its sandbox.
const LESSONS = ['async-tasks', 'scheduling', 'thread-pools', 'concurrency-models', 'websockets'];

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = positiveInt('runs', values.runs);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const course = await startCourse();
const browser = await launchBrowser();
try {
  // 1. JavaScript each live lesson page loads before the reader touches the workbench.
  for (const lesson of LESSONS) {
    const { context, page } = await openCourse(browser, course);
    const scripts = new Map<string, Promise<Buffer>>();
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.set(r.url(), r.body());
    });
    await page.goto(`${course.origin}/lessons/${lesson}/`, { waitUntil: 'networkidle' });
    let gz = 0;
    let raw = 0;
    for (const body of scripts.values()) {
      const b = await body;
      raw += b.length;
      gz += gzipSync(b).length;
    }
    console.log(`${lesson}: lesson page JS before the workbench is touched: ${kb(gz)} gzip (${kb(raw)} raw, ${scripts.size} files); goal ≤ 100 KB → ${(gz / (100 * 1024)).toFixed(2)} of the budget`);
    await context.close();
  }

  // 2. Bytes a reader downloads to run the sandbox in a WebContainer.
  {
    const snap = await readFile('site/public/generated/sandbox-modules.bin');
    const pruned = gzipSync(snap).length;
    // The same packages copied whole, as a plain snapshot of node_modules would take them.
    const dir = await mkdtemp(join(tmpdir(), 'hotpot-bench-'));
    const closure = new Set<string>();
    const visit = async (name: string) => {
      if (closure.has(name)) return;
      closure.add(name);
      const pkg = JSON.parse(await readFile(join('node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dep of Object.keys(pkg.dependencies ?? {})) await visit(dep);
    };
    for (const p of [...SANDBOX_PACKAGES, 'wasmoon', ...new Set(SANDBOX_ASSETS.map((a) => a.split('/')[0]!))]) await visit(p);
    for (const name of closure) await cp(join('node_modules', name), join(dir, 'node_modules', name), { recursive: true, dereference: true }).catch(() => undefined);
    // The bundled broker is in both: it has no whole-package form to compare with.
    await cp(join('.hotpot', 'sandbox-modules', 'node_modules', BROKER_PACKAGE), join(dir, 'node_modules', BROKER_PACKAGE), { recursive: true });
    const plain = gzipSync(await snapshot(dir)).length;
    await rm(dir, { recursive: true, force: true });
    for (const lesson of LESSONS) {
      const sandbox = await loadSandbox(lesson);
      const files = gzipSync(JSON.stringify(sandbox.steps[0]!.files)).length;
      console.log(`${lesson}: WebContainer download ${kb(pruned + files)} gzip (dependency snapshot ${kb(pruned)} + sandbox files ${kb(files)}); goal ≤ 2048 KB → ${((pruned + files) / (2048 * 1024)).toFixed(2)} of the budget`);
    }
    console.log(`  plain snapshot of the same ${closure.size} packages: ${kb(plain)} gzip; traced snapshot is ${(pruned / plain).toFixed(2)}× its size`);
  }

  // 3. A new reader under `npm start`: a fresh browser context each time, the lesson opened,
  //    Run pressed, until any process prints. Automatic choice beside ?runtime=local: they
  //    should be the same, since the runner that served the page is chosen without a wait.
  {
    const firstOutput = async (query: string): Promise<number> => {
      const { context, page } = await openCourse(browser, course);
      try {
        await page.goto(`${course.origin}${LESSON}${query}`);
        await page.waitForFunction(() => (globalThis as { __hotpot?: unknown }).__hotpot !== undefined);
        const ms = await page.evaluate(async () => {
          type Model = { onOutput(l: (p: string, d: string) => void): () => void };
          const model = (globalThis as unknown as { __hotpot: Model }).__hotpot;
          const run = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Run')!;
          const t0 = performance.now();
          const first = new Promise<number>((resolve) => {
            const off = model.onOutput((p, d) => p !== '*' && d.trim() && (off(), resolve(performance.now() - t0)));
          });
          run.click();
          return first;
        });
        await page.getByRole('button', { name: 'Stop', exact: true }).click();
        await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
        return ms;
      } finally {
        await context.close();
      }
    };
    const auto: number[] = [];
    const local: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      auto.push(await firstOutput(''));
      local.push(await firstOutput('?runtime=local'));
    }
    const line = (name: string, xs: number[]) =>
      `${name} median ${median(xs).toFixed(0)} ms over ${RUNS} fresh browser contexts (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
    console.log(line('Fresh browser, Run → first process output, automatic choice: ', auto));
    console.log(line('Fresh browser, Run → first process output, ?runtime=local:   ', local));
    console.log(`  automatic / local: ${(median(auto) / median(local)).toFixed(2)}; automatic / goal of 1500 ms: ${(median(auto) / 1500).toFixed(2)}`);
  }

  // 4. Run click → first worker log line, and → preview ready (local runtime).
  {
    const { context, page } = await openCourse(browser, course);
    await page.goto(`${course.origin}${LESSON}?runtime=local`);
    await page.locator('.hp-editor-static').click(); // engage the workbench once, as a reader would
    const firstLog: number[] = [];
    const previewReady: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Each measurement starts from a stopped sandbox, as a reader's first Run does.
      if ((await page.locator('.hp-workbench').getAttribute('data-run-state')) === 'running') {
        await page.getByRole('button', { name: 'Stop', exact: true }).click();
        await page.locator('.hp-workbench[data-run-state="stopped"]').waitFor({ timeout: 30_000 });
      }
      // The preview has its own origin: the page cannot look inside it, so its form is awaited from here.
      const t0 = Date.now();
      const ready = page
        .frameLocator('iframe.hp-preview-frame')
        .locator('form')
        .waitFor({ timeout: 60_000 })
        .then(() => Date.now() - t0);
      const log = await page.evaluate(async () => {
        type Model = { onOutput(l: (p: string, d: string) => void): () => void };
        const model = (globalThis as unknown as { __hotpot: Model }).__hotpot;
        const run = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Run')!;
        const start = performance.now();
        const log = new Promise<number>((resolve) => {
          const off = model.onOutput((p, d) => p === 'worker' && d.trim() && (off(), resolve(performance.now() - start)));
        });
        run.click();
        return log;
      });
      firstLog.push(log);
      previewReady.push(await ready);
    }
    console.log(`Run → first worker log line: median ${median(firstLog).toFixed(0)} ms over ${RUNS} runs (min ${Math.min(...firstLog).toFixed(0)}, max ${Math.max(...firstLog).toFixed(0)})`);
    console.log(`Run → preview ready:         median ${median(previewReady).toFixed(0)} ms over ${RUNS} runs (min ${Math.min(...previewReady).toFixed(0)}, max ${Math.max(...previewReady).toFixed(0)})`);
    console.log(`  first log / preview ready: ${(median(firstLog) / median(previewReady)).toFixed(2)}`);
    await context.close();
  }
} finally {
  await browser.close();
  await course.stop();
  cleanup(course);
}

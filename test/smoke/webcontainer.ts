// `npm run smoke:webcontainer`: the real WebContainer, for machines that can reach StackBlitz
// (the test machines cannot: its boot needs StackBlitz's servers). Builds the site, serves
// dist/ as a static host does (isolation headers, no local runner), opens each live lesson in
// Chromium with ?runtime=webcontainer and, for every step, applies the solution and runs its
// Check inside the browser's container. Prints one row per step; exits 1 unless all pass.
import { spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { serveStatic } from '../fixtures/static-host.ts';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    headed: { type: 'boolean', default: false },
    lesson: { type: 'string', multiple: true },
  },
});

interface Row {
  lesson: string;
  step: string;
  boot: string;
  result: string;
  ok: boolean;
}

/** Live lessons and their sandboxes, from the lessons' frontmatter. */
async function liveLessons(): Promise<{ slug: string; sandbox: string }[]> {
  const out: { slug: string; sandbox: string; order: number }[] = [];
  for (const slug of await readdir(join(root, 'lessons'))) {
    const text = await readFile(join(root, 'lessons', slug, 'index.mdx'), 'utf8').catch(() => '');
    const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(front)?.[1]?.trim();
    if (field('status') === 'live' && field('sandbox')) out.push({ slug, sandbox: field('sandbox')!, order: Number(field('order')) });
  }
  return out.sort((a, b) => a.order - b.order).filter((l) => !values.lesson || values.lesson.includes(l.slug));
}

if (!values['no-build']) {
  const build = spawnSync(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}

const host = await serveStatic(join(root, 'dist'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: !values.headed,
  args: ['--no-sandbox', '--no-first-run'],
});
const rows: Row[] = [];
try {
  for (const lesson of await liveLessons()) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${host.url}/lessons/${lesson.slug}/?runtime=webcontainer`);
    await page.waitForFunction(() => (globalThis as { __hotpot?: unknown }).__hotpot !== undefined, null, { timeout: 60_000 });
    const steps = await page.evaluate(() => (globalThis as unknown as { __hotpot: { data: { steps: { id: string }[] } } }).__hotpot.data.steps.map((s) => s.id));
    let boot = '';
    for (const [index, step] of steps.entries()) {
      const started = Date.now();
      const outcome = await page.evaluate(async (i) => {
        type Model = {
          selectStep(i: number): void;
          applySolution(): void;
          runCheck(): Promise<void>;
          check: { value: { state: string; result?: { ok: boolean; reason: string }; message?: string } };
          runtimeKind: { value: string };
          runtimeLine: { value: string };
        };
        const model = (globalThis as unknown as { __hotpot: Model }).__hotpot;
        model.selectStep(i);
        model.applySolution();
        await model.runCheck();
        const c = model.check.value;
        return { kind: model.runtimeKind.value, line: model.runtimeLine.value, ok: c.result?.ok ?? false, reason: c.result?.reason ?? c.message ?? c.state };
      }, index);
      if (index === 0) boot = `${((Date.now() - started) / 1000).toFixed(1)} s to the first Check`;
      const inBrowser = outcome.kind === 'webcontainer';
      rows.push({
        lesson: lesson.slug,
        step,
        boot: index === 0 ? boot : '',
        result: inBrowser ? `${outcome.ok ? 'passed' : 'FAILED'}: ${outcome.reason}` : `NOT IN THE BROWSER: ${outcome.line}`,
        ok: inBrowser && outcome.ok,
      });
      if (!inBrowser) break;
    }
    await context.close();
  }
} finally {
  await browser.close();
  await host.close();
}

const widths = [12, 22, 26];
const pad = (s: string, n: number) => (s.length > n ? s : s + ' '.repeat(n - s.length));
console.log(`\n${pad('lesson', widths[0]!)}  ${pad('step', widths[1]!)}  ${pad('boot', widths[2]!)}  result`);
for (const r of rows) console.log(`${pad(r.lesson, widths[0]!)}  ${pad(r.step, widths[1]!)}  ${pad(r.boot, widths[2]!)}  ${r.result}`);
const failed = rows.filter((r) => !r.ok).length;
console.log(`\n${rows.length - failed} passed, ${failed} failed`);
process.exit(failed || rows.length === 0 ? 1 : 0);

// Browser tests drive the real thing: the server `npm start` runs (the local runner, with
// the built site) and Debian's Chromium through playwright-core. Each test file starts its
// own server with its own TMPDIR, so the sandbox processes it leaves behind (if any) can
// be found by their working directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { BROWSER_OPTIONS, SHARED_BROWSER_ENV } from '../browser.ts';
export { CHROMIUM } from '../browser.ts';

export const LESSON = '/lessons/async-tasks/';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Course {
  url: string;
  origin: string;
  token: string;
  tmp: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node runner/cli.ts` (what `npm start` runs) on a free port, without rebuilding. */
export async function startCourse(extraArgs: string[] = [], env: Record<string, string> = {}): Promise<Course> {
  const port = await freePort();
  const token = `test-${Math.random().toString(36).slice(2)}`;
  const tmp = mkdtempSync(join(tmpdir(), 'hotpot-e2e-'));
  const child = spawn(process.execPath, ['runner/cli.ts', '--no-build', '--port', String(port), '--token', token, ...extraArgs], {
    env: { ...process.env, ...env, TMPDIR: tmp, ASTRO_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the course server did not start within 60 s:\n${log}`)), 60_000);
    const onData = () => {
      if (/running at/i.test(log)) (clearTimeout(timer), resolve());
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the course server exited with ${code}:\n${log}`))));
  });
  const origin = `http://localhost:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    tmp,
    child,
    output: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      return code;
    },
  };
}

/** Pids of live processes whose working directory is under dir (sandbox processes of a course). */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) pids.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 200): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** The shared Chromium when `npm test` started one, otherwise a Chromium of this file's own.
 *  `close()` on a shared one closes this file's contexts and disconnects, leaving it running. */
export async function launchBrowser(): Promise<Browser> {
  const shared = process.env[SHARED_BROWSER_ENV];
  return shared ? chromium.connect(shared) : chromium.launch(BROWSER_OPTIONS);
}

/** A fresh browser context that has been through the token link, as a reader would. */
export async function openCourse(browser: Browser, course: Course, viewport = { width: 1440, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(course.url);
  return { context, page };
}

export function cleanup(course: Course): void {
  rmSync(course.tmp, { recursive: true, force: true });
}

/** Registers before/after hooks that start a course server and a browser, and stop both. */
export function courseAndBrowser(): { course: Course; browser: Browser } {
  const shared = {} as { course: Course; browser: Browser };
  before(async () => {
    shared.course = await startCourse();
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.course?.stop();
    if (shared.course) cleanup(shared.course);
  });
  return shared;
}

/** Waits for the workbench to report a running sandbox; on failure, says what the page showed. */
export async function waitForRunning(page: Page, timeoutMs = 90_000): Promise<void> {
  try {
    await page.locator('.hp-workbench[data-run-state="running"]').waitFor({ timeout: timeoutMs });
  } catch (e) {
    const shown = await page.locator('.hp-status, .hp-errors').allInnerTexts().catch(() => []);
    throw new Error(`the sandbox did not reach "running"; the workbench showed: ${shown.join(' | ')}\n${(e as Error).message}`);
  }
}

/** What the lesson suites do with a lesson page's workbench, as a reader does it. `page` is a
 *  getter: suites open their page in a before() hook. */
export function workbenchOf(page: () => Page, checkTimeoutMs = 150_000) {
  const workbench = () => page().getByRole('region', { name: 'Workbench' });
  const button = (name: string) => workbench().getByRole('button', { name, exact: true });
  return {
    workbench,
    button,
    preview: (): FrameLocator => page().frameLocator('iframe[title^="Sandbox preview"]'),
    /** Presses Check and reads the verdict banner. */
    async check(): Promise<{ verdict: string; reason: string }> {
      await button('Check').click();
      const banner = page().locator('.hp-check[data-check]');
      await banner.waitFor({ timeout: checkTimeoutMs });
      return { verdict: (await banner.getAttribute('data-check'))!, reason: await banner.innerText() };
    },
    /** Opens Solution and applies it. */
    async applySolution(): Promise<void> {
      await button('Solution').click();
      const dialog = page().getByRole('dialog');
      await dialog.getByRole('button', { name: 'Apply solution' }).click();
      await dialog.waitFor({ state: 'hidden' });
    },
  };
}

// `npm run bench:lighthouse [--runs N] [--page PATH]… [--save DIR]`: Lighthouse (mobile: its default emulation and
// simulated throttling) on the course map and every live lesson, as `npm start` serves them.
// Per page the median of N runs of each category score, LCP, CLS and TBT, beside the HTML's
// gzipped bytes, each score as a ratio to its goal; for a category under its goal, the audits
// that kept it there. Not a test: the performance score moves with the machine's load.
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import lighthouse, { type Flags, type Result } from 'lighthouse';
import { chromium } from 'playwright-core';
import { BROWSER_OPTIONS } from '../test/browser.ts';
import { cleanup, freePort, startCourse } from '../test/e2e/harness.ts';
import { positiveInt } from './args.ts';

// The live lessons, as in bench/run.ts.
const LESSONS = ['async-tasks', 'scheduling', 'thread-pools', 'concurrency-models', 'websockets'];
const PAGES = ['/', ...LESSONS.map((l) => `/lessons/${l}/`), '/join/', '/workshop/'];
const GOALS = { performance: 98, accessibility: 100, 'best-practices': 100, seo: 100 } as const;
type Category = keyof typeof GOALS;
const CATEGORIES = Object.keys(GOALS) as Category[];

// --save DIR: each run's full report (JSON) goes there too, to read with Lighthouse's viewer.
// --page PATH (repeatable): only these pages, e.g. --page /lessons/websockets/.
// --cpu-slowdown N: Lighthouse's simulated phone as N times slower than this machine (its
// default is 4, meant for a machine of CPU benchmark index about 1000–2000 or more); a faster
// machine than that needs a larger N to stand for the same phone.
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, save: { type: 'string' }, page: { type: 'string', multiple: true }, 'cpu-slowdown': { type: 'string' } },
});
for (const p of values.page ?? []) {
  if (!PAGES.includes(p)) {
    console.error(`invalid --page: ${p} (one of ${PAGES.join(', ')})`);
    process.exit(2);
  }
}
const RUNS = positiveInt('runs', values.runs);
const CPU_SLOWDOWN = values['cpu-slowdown'] === undefined ? undefined : positiveInt('cpu-slowdown', values['cpu-slowdown']);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The page's HTML as the runner sends it to a browser that accepts gzip: bytes on the wire. */
function gzippedBytes(origin: string, path: string, cookie: string): Promise<number> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { cookie, 'accept-encoding': 'gzip' } }, (res) => {
      if (res.statusCode !== 200 || res.headers['content-encoding'] !== 'gzip') {
        reject(new Error(`${path}: expected a gzipped 200, got ${res.statusCode} ${res.headers['content-encoding'] ?? 'uncompressed'}`));
      }
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Audits of a category that scored under full marks in a run (not the informative ones). */
function failing(lhr: Result, category: Category): Map<string, string> {
  const out = new Map<string, string>();
  for (const ref of lhr.categories[category]?.auditRefs ?? []) {
    const audit = lhr.audits[ref.id];
    if (!audit || audit.score === null || audit.score >= 1) continue;
    if (['informative', 'notApplicable', 'manual'].includes(audit.scoreDisplayMode)) continue;
    out.set(audit.id, audit.displayValue ? `${audit.title} (${audit.displayValue})` : audit.title);
  }
  return out;
}

const course = await startCourse();
// Debian's Chromium as the other benchmarks launch it, with a debugging port Lighthouse drives.
const port = await freePort();
const browser = await chromium.launch({ ...BROWSER_OPTIONS, args: [...BROWSER_OPTIONS.args, `--remote-debugging-port=${port}`] });
try {
  // The token link sets the cookie every page needs; Lighthouse clears the origin's storage
  // before each run, so the cookie goes with every request as a header instead.
  const first = await fetch(course.url, { redirect: 'manual' });
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (!cookie) throw new Error(`the token link set no cookie (status ${first.status})`);
  const flags: Flags = { port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES, extraHeaders: { cookie } };
  // Merged into Lighthouse's mobile throttling: RTT and throughput stay as they are.
  if (CPU_SLOWDOWN) flags.throttling = { cpuSlowdownMultiplier: CPU_SLOWDOWN };

  console.log(
    `Lighthouse, mobile, median of ${RUNS} run(s) per page${CPU_SLOWDOWN ? `, CPU slowed ${CPU_SLOWDOWN}×` : ''}; each score's ratio to its goal in brackets; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  );
  let described = false;
  for (const path of values.page ?? PAGES) {
    const runs: Result[] = [];
    for (let i = 0; i < RUNS; i++) {
      // A trace Lighthouse failed to record (NO_NAVSTART, NO_FCP…) says "run Lighthouse again":
      // that run is taken again, up to twice, and said; a page that keeps failing stops the bench.
      let result = await lighthouse(`${course.origin}${path}`, flags);
      for (let retry = 1; retry <= 2 && result?.lhr.runtimeError; retry++) {
        console.log(`  (${path} run ${i + 1}: ${result.lhr.runtimeError.code}; taken again)`);
        result = await lighthouse(`${course.origin}${path}`, flags);
      }
      if (!result) throw new Error(`${path}: Lighthouse returned no result`);
      if (result.lhr.runtimeError) throw new Error(`${path}: ${result.lhr.runtimeError.code}: ${result.lhr.runtimeError.message}`);
      if (CPU_SLOWDOWN && result.lhr.configSettings.throttling.cpuSlowdownMultiplier !== CPU_SLOWDOWN) throw new Error('Lighthouse did not take --cpu-slowdown');
      runs.push(result.lhr);
      if (values.save) {
        await mkdir(values.save, { recursive: true });
        await writeFile(join(values.save, `${path.replace(/\W+/g, '-').replace(/^-|-$/g, '') || 'index'}-${i + 1}.json`), result.report as string);
      }
    }
    if (!described) console.log(`(Lighthouse ${runs[0]!.lighthouseVersion}, ${runs[0]!.environment.hostUserAgent})`);
    described = true;
    const gz = await gzippedBytes(course.origin, path, cookie);
    const metric = (id: string) => median(runs.map((r) => r.audits[id]?.numericValue ?? NaN));
    const scores = CATEGORIES.map((c) => [c, Math.round(median(runs.map((r) => (r.categories[c]?.score ?? 0) * 100)))] as const);
    console.log(`\n${path}  HTML ${(gz / 1024).toFixed(1)} KB gzip`);
    console.log(`  ${scores.map(([c, s]) => `${c} ${s} (${(s / GOALS[c]).toFixed(2)})`).join('  ')}`);
    // Lighthouse's own measure of the CPU during the runs: the simulated phone is a multiple of
    // it, so when the machine is busy (a low index) TBT and the performance score suffer.
    const cpu = median(runs.map((r) => r.environment.benchmarkIndex));
    console.log(`  LCP ${(metric('largest-contentful-paint') / 1000).toFixed(2)} s  CLS ${metric('cumulative-layout-shift').toFixed(3)}  TBT ${metric('total-blocking-time').toFixed(0)} ms  (CPU benchmark index ${cpu.toFixed(0)})`);
    for (const [c, s] of scores) {
      if (s >= GOALS[c]) continue;
      // Every audit that fell short in any run, how many runs it fell short in, and its value
      // in the last of them.
      const seen = new Map<string, { title: string; n: number }>();
      for (const r of runs) for (const [id, title] of failing(r, c)) seen.set(id, { title, n: (seen.get(id)?.n ?? 0) + 1 });
      console.log(`  ${c} under its goal of ${GOALS[c]}:`);
      for (const [id, { title, n }] of seen) console.log(`    ${id}: ${title}${RUNS > 1 ? ` [${n}/${RUNS} runs]` : ''}`);
    }
  }
} finally {
  await browser.close();
  await course.stop();
  cleanup(course);
}

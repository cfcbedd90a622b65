// `npm run bench:thread-pools`: what the thread-pools lesson's experiments measure, outside the
// sandbox, side by side in one run on this machine. Not a test: timings on a shared machine are
// noisy, so they are reported (median of --runs), never asserted.
//
//   (a) Per-task cost of a thread per task: --tasks tiny tasks (a SHA-256 each), as many at a
//       time as there are cores, on a new Worker each and on the finished sandbox's pool.
//   (b) The sandbox's hand-written pool against piscina, same threads, same tasks: --tasks tiny
//       tasks and --tasks/10 tasks of about 5 ms of pbkdf2; throughput ratio.
//   (c) libuv's pool: the sandbox's libuv.ts (eight concurrent crypto.pbkdf2 calls) in a fresh
//       process with UV_THREADPOOL_SIZE=4 and =8: when the last call finished.
//   (d) Memory per worker: resident memory before and after starting a pool of 8 workers.
//
// The sandbox's files come from its last step's solution, written to a temporary folder with
// the project's node_modules beside them, and run as Node runs them there (type stripping).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { loadSandbox } from '../sandboxes/load.ts';
import { positiveInt } from './args.ts';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '200' }, runs: { type: 'string', default: '3' }, help: { type: 'boolean', default: false } } });
if (values.help) {
  console.log('usage: node bench/thread-pools.ts [--tasks 200] [--runs 3]');
  process.exit(0);
}
const TASKS = positiveInt('tasks', values.tasks);
const RUNS = positiveInt('runs', values.runs);
const CORES = availableParallelism();
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;

// The finished sandbox, in a folder of its own.
const sandbox = await loadSandbox('thread-pools');
const files = sandbox.steps.at(-1)!.solution;
const dir = mkdtempSync(join(tmpdir(), 'hotpot-bench-pools-'));
for (const [path, text] of Object.entries(files)) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}
symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));

type Task = { kind: 'tiny'; input: string } | { kind: 'io'; iterations: number; waitMs: number };
interface PoolLike {
  run(task: Task): Promise<unknown>;
  close(): Promise<void>;
}
const { Pool } = (await import(pathToFileURL(join(dir, 'pool.ts')).href)) as { Pool: new (size: number) => PoolLike };
const WORKER = pathToFileURL(join(dir, 'worker.ts'));

async function limited(count: number, limit: number, run: (i: number) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < count) await run(next++);
  };
  await Promise.all(Array.from({ length: limit }, lane));
}
const timed = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
const onNewThread = (task: Task) =>
  new Promise((resolve, reject) => {
    const w = new Worker(WORKER);
    w.once('message', (r) => (resolve(r), void w.terminate()));
    w.once('error', reject);
    w.postMessage(task);
  });
const warm = (pool: PoolLike, n: number) => Promise.all(Array.from({ length: n }, (_, i) => pool.run({ kind: 'tiny', input: `warm-${i}` })));

try {
  console.log(`${CORES} cores, Node ${process.version}, ${TASKS} tasks, median of ${RUNS} runs\n`);

  // (a)
  const fresh: number[] = [];
  const pooled: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    fresh.push((await timed(() => limited(TASKS, CORES, (i) => onNewThread({ kind: 'tiny', input: `t${i}` })))) / TASKS);
    const pool = new Pool(CORES);
    await warm(pool, CORES);
    pooled.push((await timed(() => limited(TASKS, CORES, (i) => pool.run({ kind: 'tiny', input: `t${i}` })))) / TASKS);
    await pool.close();
  }
  console.log('(a) a tiny task, wall time per task');
  console.log(`    new Worker each: ${ms(median(fresh))}   pooled: ${ms(median(pooled))}   ratio ${(median(fresh) / median(pooled)).toFixed(0)}×\n`);

  // (b)
  const ITER = 4000;
  const kinds: [string, number, (i: number) => Task][] = [
    ['tiny (SHA-256)', TASKS * 10, (i) => ({ kind: 'tiny', input: `t${i}` })],
    ['pbkdf2, about 5 ms', Math.max(20, TASKS), () => ({ kind: 'io', iterations: ITER, waitMs: 0 })],
  ];
  console.log(`(b) the sandbox's pool against piscina 5, ${CORES} threads each, tasks per second`);
  for (const [name, count, make] of kinds) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const pool = new Pool(CORES);
      await warm(pool, CORES);
      ours.push((count / (await timed(() => limited(count, CORES * 2, (i) => pool.run(make(i)))))) * 1000);
      await pool.close();
      const pisc = new Piscina({ filename: pathToFileURL(join(dir, 'piscina-worker.ts')).href, minThreads: CORES, maxThreads: CORES });
      await Promise.all(Array.from({ length: CORES }, (_, i) => pisc.run({ kind: 'tiny', input: `warm-${i}` })));
      theirs.push((count / (await timed(() => limited(count, CORES * 2, (i) => pisc.run(make(i)))))) * 1000);
      await pisc.close();
    }
    console.log(`    ${name}: sandbox pool ${median(ours).toFixed(0)}/s, piscina ${median(theirs).toFixed(0)}/s, ratio ${(median(ours) / median(theirs)).toFixed(2)}`);
  }
  console.log();

  // (c)
  const libuv = (size: number) =>
    new Promise<{ aloneMs: number; calls: { ended: number }[] }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--no-addons', '--disable-warning=ExperimentalWarning', 'libuv.ts'], { cwd: dir, env: { ...process.env, UV_THREADPOOL_SIZE: String(size) }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`libuv.ts exited with ${code}`))));
    });
  console.log('(c) eight concurrent crypto.pbkdf2 calls (250,000 iterations), when the last finished');
  const last: Record<number, number[]> = { 4: [], 8: [] };
  const alone: number[] = [];
  for (let r = 0; r < RUNS; r++)
    for (const size of [4, 8]) {
      const run = await libuv(size);
      last[size]!.push(Math.max(...run.calls.map((c) => c.ended)));
      alone.push(run.aloneMs);
    }
  console.log(`    one call alone ${ms(median(alone))}; UV_THREADPOOL_SIZE=4: ${ms(median(last[4]!))}, =8: ${ms(median(last[8]!))}, ratio ${(median(last[4]!) / median(last[8]!)).toFixed(2)} (on ${CORES} cores)\n`);

  // (d)
  const before = process.memoryUsage().rss;
  const pool = new Pool(8);
  await warm(pool, 8);
  const after = process.memoryUsage().rss;
  await pool.close();
  console.log(`(d) resident memory: ${(before / 2 ** 20).toFixed(0)} MB before a pool of 8 workers, ${(after / 2 ** 20).toFixed(0)} MB with it: ${((after - before) / 8 / 2 ** 20).toFixed(1)} MB per worker`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Step 3: run the app as a cluster. The check asks the running app which processes answer
// (more than one, on a machine with two or more cores), then sends 16 /report requests at
// once (rendering on the event loop, all CPU) and reads the server's stamps: in one process
// they can only run one after another, in a cluster some run at the same time. Then it
// measures /report with autocannon in turns, the app as one process (checks/single.ts,
// started here on a port of its own) and the running app, and prints the ratio. The ratio is
// reported, not required: on a machine whose cores are busy with other work the cluster has
// nothing spare to use, and a check must not fail for what someone else is running.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { APP_PORT, appStats, check, Fail, get, HOST, log, maxOverlap, sleep } from './lib.ts';

const ROUND_SECONDS = 2;
const CONNECTIONS = 8;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, HOST, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

let single: ReturnType<typeof spawn> | undefined;

async function throughput(port: number): Promise<number> {
  const result = await autocannon({ url: `http://${HOST}:${port}/report`, connections: CONNECTIONS, duration: ROUND_SECONDS });
  if (result.non2xx || result.errors) throw new Fail(`GET /report failed ${result.non2xx + result.errors} times under load: look at the app's terminal.`);
  return result.requests.total / ROUND_SECONDS;
}

await check(
  85_000,
  async () => {
    const { cores } = await appStats();
    const pids = new Set<number>();
    for (let i = 0; i < 24; i++) pids.add((await get('/ping')).pid);
    const worker = (await appStats()).clusterWorker === true;
    log(`the sandbox reports ${cores} core${cores === 1 ? '' : 's'}; 24 requests were answered by ${pids.size} process${pids.size === 1 ? '' : 'es'} (${[...pids].join(', ')})`);
    if (cores >= 2 && pids.size < 2)
      throw new Fail(
        `Every request was answered by process ${[...pids][0]}: the app runs as one process on one of ${cores} cores. In main.ts, use node:cluster: in the primary, cluster.fork() once per core (availableParallelism()); in each worker, startServer(PORT).`,
      );
    if (cores < 2 && !worker)
      throw new Fail('The app is not a cluster: in main.ts, use node:cluster: in the primary, cluster.fork() once per core (availableParallelism()); in each worker, startServer(PORT).');

    // CPU work at once: does any of it run side by side?
    const reports = await Promise.all(Array.from({ length: 16 }, () => get('/report')));
    const failed = reports.find((r) => r.status !== 200);
    if (failed) throw new Fail(`GET /report answered ${failed.status}: look at the app's terminal.`);
    const together = maxOverlap(reports.map((r) => [r.started, r.ended]));
    log(`16 /report requests at once: at most ${together} rendering at the same time`);
    if (together < 2)
      throw new Fail(
        `16 /report requests sent at once were rendered one at a time: one event loop does CPU work one request after another. In main.ts, fork a worker per core with node:cluster so several run at once.`,
      );

    // The same code as one process, on a port of its own.
    const port = await freePort();
    single = spawn(process.execPath, [...process.execArgv, new URL('single.ts', import.meta.url).pathname], { env: { ...process.env, APP_PORT: String(port) }, stdio: 'ignore' });
    for (let i = 0; ; i++) {
      if (await get('/ping', { port, timeoutMs: 2000 }).then(() => true, () => false)) break;
      if (i > 60) throw new Fail('The check could not start the app as one process (checks/single.ts) for comparison: does server.ts still export startServer(port)?');
      await sleep(250);
    }
    const one: number[] = [];
    const many: number[] = [];
    for (let round = 0; round < 2; round++) {
      one.push(await throughput(port));
      many.push(await throughput(APP_PORT));
    }
    const rps = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratio = rps(many) / rps(one);
    log(`/report, ${CONNECTIONS} connections, ${ROUND_SECONDS} s turns: one process ${one.map(Math.round).join(', ')} req/s; the app ${many.map(Math.round).join(', ')} req/s (${ratio.toFixed(2)}×)`);
    const busy = cores >= 2 && ratio < 1.1 ? ' (little gain: the cores are busy with other work right now)' : '';
    return `${pids.size} process${pids.size === 1 ? '' : 'es'} answer and ${together} rendered at once; /report served ${Math.round(rps(many))} req/s against ${Math.round(rps(one))} for one process measured beside it, ${ratio.toFixed(2)}× on ${cores} core${cores === 1 ? '' : 's'}${busy}.`;
  },
  () => single?.kill(),
);

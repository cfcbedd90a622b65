// Step 4: a scheduled job runs more than once sometimes, its worker may stop mid-run, and a
// run may outlast its interval. The check probes one rule at a time:
//   1. the same firing run twice (as a retry would) sends one report, not two;
//   2. after the worker is stopped mid-run and started again (the page's own Stop / Start),
//      the abandoned job is taken back within seconds, not left "active", and its firing
//      still has one report;
//   3. a digest that takes longer than its 5 s interval never runs beside the next one.
import { Job } from 'bullmq';
import { check, clock, control, Fail, inbox, log, perFiring, queue, redis, setWorkTime, sleep, waitFor, type Report } from './lib.ts';

const reportsFor = async (name: string, due: number) => (await inbox()).filter((r) => r.name === name && r.due === due);
const dueOf = (job: Job) => Number(String(job.id).split(':').pop());

async function sameFiringTwice(): Promise<string> {
  // A finished job from a scheduler, with its one report.
  const job = await waitFor(async () => {
    const done = await queue.getJobs(['completed'], 0, 50);
    for (const j of done) if (j?.repeatJobKey && (await reportsFor(j.name, dueOf(j))).length === 1) return j;
    return undefined;
  }, 15_000);
  if (!job) throw new Fail('No scheduled job finished with one report within 15 s: is the worker running? Keep the schedules of steps 1 to 3.');
  const due = dueOf(job);
  log(`1. running ${job.name} due ${clock(due)} (job ${job.id}) a second time, as a retry would`);
  const finishedBefore = job.finishedOn ?? 0;
  await job.retry('completed');
  const again = await waitFor(async () => {
    const fresh = await Job.fromId(queue, job.id!);
    return fresh && (fresh.finishedOn ?? 0) > finishedBefore ? fresh : undefined;
  }, 20_000);
  if (!again) throw new Fail(`The second run of job ${job.id} did not finish within 20 s: look at the worker terminal.`);
  const reports = await reportsFor(job.name, due);
  log(`   ${reports.length} report(s) for that firing now`);
  if (reports.length > 1)
    throw new Fail(
      `${job.name} due ${clock(due)} ran twice and the boss got ${reports.length} reports: in worker.ts, before sendReport, claim a key made of the job's name and scheduledTime(job) (redis.set(key, …, 'NX')) and send nothing when it is already taken.`,
    );
  return `${job.name} due ${clock(due)} ran twice, one report`;
}

async function stopMidRun(): Promise<string> {
  // Make every run take 2.5 s, so that stopping catches one in the middle.
  await setWorkTime('pulse', 2500);
  await setWorkTime('digest', 2500);
  const active = await waitFor(async () => {
    const jobs = (await queue.getJobs(['active'], 0, 20)).filter((j): j is Job => !!j?.repeatJobKey && !!j.processedOn && Date.now() - j.processedOn < 1500);
    return jobs.length ? jobs : undefined;
  }, 15_000, 100);
  if (!active) throw new Fail('No scheduled job started within 15 s: is the worker running?');
  await control('stop');
  const stopped = Date.now();
  log(`2. stopped the worker while ${active.map((j) => `${j.name} due ${clock(dueOf(j))}`).join(', ')} ran`);
  await sleep(1000);
  await control('start');
  log(`   started it again ${((Date.now() - stopped) / 1000).toFixed(1)} s later`);
  await setWorkTime('pulse', undefined);
  await setWorkTime('digest', undefined);
  const limit = 13_000;
  const stuck = await waitFor(async () => {
    const states = await Promise.all(active.map(async (j) => ({ j, state: await queue.getJobState(j.id!) })));
    const left = states.filter(({ state }) => state === 'active' || state === 'waiting');
    return left.length ? undefined : 'none';
  }, limit - (Date.now() - stopped), 200);
  if (!stuck) {
    const j = active[0]!;
    throw new Fail(
      `${j.name} due ${clock(dueOf(j))} was still not finished ${limit / 1000} s after its worker stopped: the queue waits for the job's lock to run out (lockDuration, 30 s by default) and for a stalled check (stalledInterval, 30 s). Set lockDuration: 5000 and stalledInterval: 3000 in worker.ts.`,
    );
  }
  log(`   every abandoned job finished within ${((Date.now() - stopped) / 1000).toFixed(1)} s of the stop`);
  await sleep(3000); // the abandoned run's own send, if it was still going
  for (const j of active) {
    const reports = await reportsFor(j.name, dueOf(j));
    log(`   ${j.name} due ${clock(dueOf(j))}: ${reports.length} report(s)`);
    if (reports.length > 1)
      throw new Fail(`${j.name} due ${clock(dueOf(j))} was sent ${reports.length} times after the worker stopped mid-run and came back: key the report on its scheduled time (redis.set(…, 'NX')) before sending.`);
  }
  return 'a stopped worker\'s jobs taken back within seconds, one report each';
}

async function slowDigest(): Promise<string> {
  // 7 s of work on a 5 s pattern: each run outlasts its interval.
  const since = Date.now();
  await setWorkTime('digest', 7000);
  log('3. made each digest take 7 s (its pattern fires every 5 s)');
  const runs = await waitFor(async () => {
    const digests = (await inbox()).filter((r) => r.name === 'digest' && r.started >= since);
    return digests.length >= 2 ? digests : undefined;
  }, 30_000, 500);
  await setWorkTime('digest', undefined);
  if (!runs) throw new Fail('Fewer than 2 slow digests were sent within 30 s: is the worker running, and does the digest fire every 5 s?');
  const sorted = [...runs].sort((a, b) => a.started - b.started);
  let overlap: [Report, Report] | undefined;
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.started < sorted[i - 1]!.sent) overlap = [sorted[i - 1]!, sorted[i]!];
  for (const r of sorted) log(`   digest due ${clock(r.due)} ran ${clock(r.started)} – ${clock(r.sent)}`);
  if (overlap)
    throw new Fail(
      `The digest due ${clock(overlap[1].due)} started while the one due ${clock(overlap[0].due)} was still running (${((overlap[0].sent - overlap[1].started) / 1000).toFixed(1)} s together): bound the overlap, e.g. concurrency: 1 in worker.ts.`,
    );
  const firings = perFiring(sorted, () => true);
  return `slow digests ran one after another (${firings.size} firings)`;
}

await check(
  105_000,
  async () => {
    if ((await redis.hget('worker', 'state')) !== 'running') await control('start');
    const results = [await sameFiringTwice(), await stopMidRun(), await slowDigest()];
    return `Passed: ${results.join('; ')}.`;
  },
  async () => {
    await setWorkTime('pulse', undefined);
    await setWorkTime('digest', undefined);
    if ((await redis.hget('worker', 'state')) !== 'running') await control('start').catch(() => {});
  },
);

// An app instance. The sandbox starts this file twice, as app-a and app-b, the way a deploy
// runs several copies of the same web app. At start-up each registers the schedules it finds
// in schedules.ts; then it would serve requests (this one has none to serve).
import { queue } from './queue.ts';
import { registerSchedules } from './schedules.ts';

const instance = process.env.INSTANCE ?? 'a';

await registerSchedules(instance);

// What the broker holds now, whichever instance wrote it.
const schedulers = await queue.getJobSchedulers();
const described = schedulers.map((s) => `${s.key} (${s.pattern ? `"${s.pattern}"${s.tz ? ` in ${s.tz}` : ''}` : `every ${(s.every ?? 0) / 1000} s`})`);
console.log(`app-${instance} registered its schedules; the broker holds ${schedulers.length} job scheduler(s)${described.length ? `: ${described.join(', ')}` : ''}`);
console.log(`app-${instance} ready`);

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    setTimeout(() => process.exit(0), 1000).unref();
    void queue.close().finally(() => process.exit(0));
  });

// The app's timetable. app.ts calls registerSchedules() once at start-up, in every instance
// (app-a and app-b run this same file), the way a Django project reads CELERY_BEAT_SCHEDULE.
import { queue } from './queue.ts';

export async function registerSchedules(instance: string) {
  // A pulse report every 3 seconds, kept by the broker.
  await queue.upsertJobScheduler('pulse', { every: 3000 }, { name: 'pulse', data: { from: instance } });

  // The boss wants the weekly report on Monday at 09:00, Shanghai time.
  await queue.upsertJobScheduler('boss-report', { pattern: '0 9 * * 1', tz: 'Asia/Shanghai' }, { name: 'boss-report', data: { from: instance } });

  // The team's digest, on the clock every 5 seconds (the first field is seconds). One id for
  // every instance: whichever registers last updates the same scheduler, and the broker
  // keeps one next job for it, so each firing is one job, run once.
  await queue.upsertJobScheduler('digest', { pattern: '*/5 * * * * *' }, { name: 'digest', data: { from: instance } });
}

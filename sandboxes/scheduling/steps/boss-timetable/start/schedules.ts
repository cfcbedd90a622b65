// The app's timetable. app.ts calls registerSchedules() once at start-up, in every instance
// (app-a and app-b run this same file), the way a Django project reads CELERY_BEAT_SCHEDULE.
import { queue } from './queue.ts';

export async function registerSchedules(instance: string) {
  // A pulse report every 3 seconds, kept by the broker.
  await queue.upsertJobScheduler('pulse', { every: 3000 }, { name: 'pulse', data: { from: instance } });

  // The boss wants the weekly report on Monday at 09:00, Shanghai time. A week is a week…
  await queue.upsertJobScheduler('boss-report', { every: 7 * 24 * 60 * 60 * 1000 }, { name: 'boss-report', data: { from: instance } });
}

// The app's timetable. app.ts calls registerSchedules() once at start-up, in every instance
// (app-a and app-b run this same file), the way a Django project reads CELERY_BEAT_SCHEDULE.
import { queue } from './queue.ts';

export async function registerSchedules(instance: string) {
  // A pulse report every 3 seconds, kept by the broker. Upserting creates the scheduler or,
  // if one with this id exists (the other instance got here first), updates it in place.
  await queue.upsertJobScheduler('pulse', { every: 3000 }, { name: 'pulse', data: { from: instance } });
}

// The app's timetable. app.ts calls registerSchedules() once at start-up, in every instance
// (app-a and app-b run this same file), the way a Django project reads CELERY_BEAT_SCHEDULE.
import { queue } from './queue.ts';

export async function registerSchedules(instance: string) {
  // A pulse report every 3 seconds, from a timer in the app. The timer lives in this process
  // (it stops when the process stops) and every instance runs one of its own.
  setInterval(() => {
    queue.add('pulse', { from: instance }).catch((err) => console.error(`pulse: ${err.message}`));
  }, 3000);
}

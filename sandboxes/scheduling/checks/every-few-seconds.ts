// Step 1: the pulse must come from a job scheduler in the broker, not from a timer inside an
// app process. The check finds the scheduler, then watches at least 3 of its firings and
// measures their spacing.
import { check, clock, Fail, inbox, log, queue, waitFor } from './lib.ts';

const EVERY = 3000;

await check(35_000, async () => {
  const schedulers = await queue.getJobSchedulers();
  const pulse = schedulers.find((s) => s.key === 'pulse') ?? schedulers.find((s) => s.name === 'pulse');
  log(`job schedulers in the broker: ${schedulers.map((s) => s.key).join(', ') || 'none'}`);
  if (!pulse)
    throw new Fail(
      "The broker holds no job scheduler for the pulse: its jobs come from a setInterval inside each app process. In schedules.ts, replace the timer with await queue.upsertJobScheduler('pulse', { every: 3000 }, { name: 'pulse', data: { from: instance } }).",
    );

  // Firings of that scheduler that start after now: their jobs carry its id.
  const since = Date.now();
  const fired = await waitFor(async () => {
    const mine = (await inbox()).filter((r) => r.schedule === pulse.key && r.due >= since - 100);
    const dues = [...new Set(mine.map((r) => r.due))].sort((a, b) => a - b);
    return dues.length >= 4 ? { dues, mine } : undefined;
  }, 22_000);
  if (!fired) {
    const late = (await inbox()).filter((r) => r.schedule === pulse.key).length;
    throw new Fail(
      late
        ? `Scheduler "${pulse.key}" fired too rarely: fewer than 4 firings in 22 s. It should fire every 3 s: { every: 3000 }.`
        : `Scheduler "${pulse.key}" produced no reports in 22 s: is the worker running (its terminal, and the page's Start worker)?`,
    );
  }
  const gaps = fired.dues.slice(1).map((due, i) => due - fired.dues[i]!);
  log(`firings due at ${fired.dues.map(clock).join(', ')}`);
  log(`spacing: ${gaps.map((g) => `${(g / 1000).toFixed(3)} s`).join(', ')}`);
  const off = gaps.find((g) => Math.abs(g - EVERY) > 250);
  if (off !== undefined)
    throw new Fail(`Scheduler "${pulse.key}" fires ${(off / 1000).toFixed(1)} s apart; the pulse is every 3 s: { every: 3000 }.`);
  const starts = fired.mine.map((r) => r.started - r.due);
  log(`each started ${Math.min(...starts)}–${Math.max(...starts)} ms after it was due`);
  return `The broker's job scheduler "${pulse.key}" fired ${fired.dues.length} times, 3 s apart (the worker started each within ${Math.max(...starts)} ms).`;
});

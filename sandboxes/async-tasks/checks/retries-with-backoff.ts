// Step 2: the mail server refuses the first 2 tries to each new address. The job must ask
// for at least 3 attempts with exponential backoff, and the email must get through.
import { check, Fail, finished, findJob, freshAddress, log, signUp, waitFor } from './lib.ts';

interface Backoff {
  type?: string;
  delay?: number;
}

await check(40_000, async () => {
  const address = freshAddress('retry');
  log(`signing up ${address} (a new address: the mail server refuses its first tries)`);
  await signUp('Check', address);

  const job = await waitFor(() => findJob(address), 5000);
  if (!job)
    throw new Fail("No job was added for the sign-up: keep step 1's queue.add(...) in server.ts.");

  const attempts = Math.max(job.opts.attempts ?? 1, 1);
  const raw = job.opts.backoff as number | Backoff | undefined;
  const backoff: Backoff | undefined = typeof raw === 'number' ? { type: 'fixed', delay: raw } : raw;
  log(`job ${job.id}: attempts ${attempts}, backoff ${backoff ? `${backoff.type} ${backoff.delay ?? 0} ms` : 'none'}`);

  const end = await finished(job.id!, 30_000);
  if (!end)
    throw new Fail(`Job ${job.id} did not finish within 30 s: look at the worker terminal, is it running?`);
  const made = end.job.attemptsMade;
  log(`job ${job.id} ${end.state} after ${made} attempt${made === 1 ? '' : 's'}`);

  if (end.state === 'failed') {
    if (attempts < 3)
      throw new Fail(
        `The email failed after ${made} attempt${made === 1 ? '' : 's'} ("${end.job.failedReason}"): ` +
          "add attempts: 3 and backoff: { type: 'exponential', delay: 1000 } to the queue.add options.",
      );
    throw new Fail(`The email failed after ${made} attempts ("${end.job.failedReason}"); look at the worker terminal for the error.`);
  }
  if (made < 2)
    throw new Fail('The email went out on the first try, so no retry happened: set GREYLIST_TRIES back to 2 in settings.ts.');
  if (backoff?.type !== 'exponential' || !(Number(backoff.delay) > 0))
    throw new Fail(
      `The job was retried ${made - 1} times with ${backoff ? `${backoff.type} backoff` : 'no wait in between'}; ` +
        "the step asks for exponential backoff: backoff: { type: 'exponential', delay: 1000 }.",
    );

  const first = Number(backoff.delay);
  return (
    `The mail server refused twice; BullMQ waited ${first / 1000} s, then ${(2 * first) / 1000} s, ` +
    `and the email went out on attempt ${made} of ${attempts}.`
  );
});

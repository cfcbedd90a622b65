// Step 3: run the job for one sign-up more than once, as BullMQ does when it recovers a job
// whose worker died after sending, and expect exactly one welcome email in the outbox.
import { check, Fail, finished, findJob, freshAddress, log, outboxFor, queue, signUp, waitFor } from './lib.ts';

await check(55_000, async () => {
  const address = freshAddress('once');
  log(`signing up ${address}`);
  await signUp('Check', address);
  const job = await waitFor(() => findJob(address), 5000);
  if (!job) throw new Fail("No job was added for the sign-up: keep step 1's queue.add(...) in server.ts.");

  const first = await finished(job.id!, 30_000);
  if (!first) throw new Fail(`Job ${job.id} did not finish within 30 s: look at the worker terminal, is it running?`);
  if (first.state === 'failed')
    throw new Fail(`Job ${job.id} failed ("${first.job.failedReason}"): keep step 2's attempts and backoff.`);
  const once = (await outboxFor(address)).length;
  log(`run 1 (job ${job.id}): ${once} email(s) delivered`);
  if (once !== 1) throw new Fail(`The first run delivered ${once} emails instead of 1: look at the worker terminal.`);

  // 1. The same job runs again, as a job recovered from a dead worker would.
  await first.job.retry('completed');
  const again = await finished(job.id!, 15_000, first.job.finishedOn);
  if (!again) throw new Fail(`Job ${job.id} did not finish its second run within 15 s: look at the worker terminal.`);
  if (again.state === 'failed')
    throw new Fail(`The second run of job ${job.id} failed ("${again.job.failedReason}"): an email already sent should be skipped, not an error.`);
  const afterRerun = (await outboxFor(address)).length;
  log(`run 2 (job ${job.id} again): ${afterRerun} email(s) delivered in total`);
  if (afterRerun > 1)
    throw new Fail(
      `Job ${job.id} ran twice and the new user got ${afterRerun} welcome emails: in worker.ts, skip sending when ` +
        'a key like welcome-sent:<signupId> exists, and set it right after sending.',
    );

  // 2. Another job for the same sign-up (a double click, a retried queue.add): new job id, same data.
  const copy = await queue.add(job.name, job.data, { attempts: job.opts.attempts, backoff: job.opts.backoff });
  const third = await finished(copy.id!, 15_000);
  if (!third) throw new Fail(`Job ${copy.id} did not finish within 15 s: look at the worker terminal.`);
  const total = (await outboxFor(address)).length;
  log(`run 3 (job ${copy.id}, same sign-up): ${total} email(s) delivered in total`);
  if (total > 1)
    throw new Fail(
      `A second job for the same sign-up sent another email (${total} in all): key the "already sent" marker on ` +
        'job.data.signupId, which every job for this sign-up shares, not on job.id.',
    );

  return 'The sign-up was processed 3 times (the same job twice, then a copy) and the new user got exactly one welcome email.';
});

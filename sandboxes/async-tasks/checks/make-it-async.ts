// Step 1: the sign-up must answer before the welcome email is sent and before the newsletter
// subscription is made, and a worker must send the email. It compares the order of events (was
// the email out, or the address subscribed, when the answer came back?), not timings, so a
// slow machine does not change the verdict.
import { check, Fail, findJob, freshAddress, log, outboxFor, redis, signUp, waitFor } from './lib.ts';

await check(25_000, async () => {
  const address = freshAddress('async');
  log(`signing up ${address}`);
  const answered = Date.now();
  await signUp('Check', address);

  const alreadySent = await outboxFor(address);
  log(`the page got its answer; emails already delivered to ${address}: ${alreadySent.length}`);
  if (alreadySent.length > 0)
    throw new Fail(
      'The sign-up still waits for the email: it was delivered before the page got its answer. ' +
        "In server.ts, replace the sending with queue.add('welcome', { signupId, name, email }).",
    );

  // The worker subscribes only after the email (seconds later): subscribed already means the
  // request did it while the browser waited.
  const subscribed = (await redis.sismember('newsletter', address)) === 1;
  log(`subscribed to the newsletter when the answer came: ${subscribed ? 'yes' : 'no'}`);
  if (subscribed)
    throw new Fail(
      'The sign-up still waits for the newsletter: the address was subscribed before the page got its answer. ' +
        'In server.ts, remove await subscribeToNewsletter(email) from signup; the worker subscribes them after the email.',
    );

  const delivered = await waitFor(async () => (await outboxFor(address))[0], 20_000);
  if (!delivered) {
    const job = await findJob(address);
    if (!job)
      throw new Fail('The page answered at once, but no email was sent and no job was queued: add the job with queue.add(...) in server.ts.');
    const state = await job.getState();
    if (state === 'waiting' || state === 'prioritized')
      throw new Fail(`Job ${job.id} is still waiting after 20 s: no worker took it. Is the worker running? (Restart it.)`);
    throw new Fail(`Job ${job.id} is ${state} but no welcome email arrived within 20 s: look at the worker terminal.`);
  }
  log(`delivered by ${delivered.sentBy}`);
  if (delivered.sentBy !== 'worker.ts')
    throw new Fail(
      `The email was sent by ${delivered.sentBy} in the background, not by the worker: ` +
        'add a job with queue.add(...) so worker.ts sends it (and a crash cannot lose it).',
    );

  const seconds = ((delivered.sentAt - answered) / 1000).toFixed(1);
  return `The page answered right away and the worker delivered the welcome email about ${seconds} s later.`;
});

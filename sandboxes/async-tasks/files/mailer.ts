// A pretend mail service, so the sandbox needs no internet. You do not need to change it.
//
// - It is slow on purpose: about 2 s per email, like a real mail server on a bad day.
// - It can greylist: refuse the first tries to a recipient it has not seen before with
//   "451 try again later", as many real servers do (spammers rarely come back; real senders retry).
//   How many tries it refuses is GREYLIST_TRIES in settings.ts, which a step may change.
// - Every email it accepts is appended to the Redis list "outbox", which the page and the
//   checks read to count deliveries.
import { basename } from 'node:path';
import { redis } from './queue.ts';
import type { Email } from './email.ts';
import { GREYLIST_TRIES } from './settings.ts';

const SEND_MS = 2000;
const REFUSE_MS = 500;
const NEWSLETTER_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function sendEmail(email: Email): Promise<void> {
  // The server counts tries per recipient, so the flakiness is the same on every run.
  const tries = await redis.incr(`mailserver:tries:${email.to}`);
  if (tries <= GREYLIST_TRIES) {
    await sleep(REFUSE_MS);
    throw new Error(`451 ${email.to} is greylisted: try again later (refusal ${tries} of ${GREYLIST_TRIES})`);
  }
  await sleep(SEND_MS);
  // Which program handed us the email: "worker.ts" or "server.ts".
  const sentBy = basename(process.argv[1] ?? 'unknown');
  await redis.rpush('outbox', JSON.stringify({ ...email, sentAt: Date.now(), sentBy }));
  const body = email.text.split('\n').map((line) => `  \x1b[2m│\x1b[0m ${line}`).join('\n');
  console.log(`\x1b[36m✉ mail server accepted an email\x1b[0m\n  To: ${email.to}\n  Subject: ${email.subject}\n${body}`);
}

// The mailing list lives on the same service. Adding someone twice changes nothing:
// a set ignores repeats, so this call is safe to run again. Sending an email is not.
export async function subscribeToNewsletter(address: string): Promise<void> {
  await sleep(NEWSLETTER_MS);
  await redis.sadd('newsletter', address);
}

// The web app, and the producer: the signup handler below is the part you edit. The page,
// the live jobs table and the HTTP plumbing are in web.ts, the same in every step.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { redis } from './queue.ts';
import { welcomeEmail } from './email.ts';
import { sendEmail, subscribeToNewsletter } from './mailer.ts';
import { readForm, reply, serve } from './web.ts';

// POST signup: save the new user, then welcome them.
async function signup(req: IncomingMessage, res: ServerResponse) {
  const { name, email } = await readForm(req);
  if (!name || !email) return reply(res, 400, { error: 'name and email are both required' });
  const signupId = await redis.incr('signups:last-id');
  await redis.hset(`signup:${signupId}`, { name, email, at: Date.now() });

  // Step 1: this is the slow part, and the browser is waiting for it. Talking to the mail
  // server takes seconds, and if it fails, the sign-up fails with it.
  await sendEmail(welcomeEmail({ name, email }));
  await subscribeToNewsletter(email);

  reply(res, 200, { signupId });
}

serve({ signup }); // POST signup runs the handler above

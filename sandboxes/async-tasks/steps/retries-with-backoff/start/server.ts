// The web app, and the producer: the signup handler below is the part you edit. The page,
// the live jobs table and the HTTP plumbing are in web.ts, the same in every step.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { queue, redis } from './queue.ts';
import { readForm, reply, serve } from './web.ts';

// POST signup: save the new user, then queue their welcome.
async function signup(req: IncomingMessage, res: ServerResponse) {
  const { name, email } = await readForm(req);
  if (!name || !email) return reply(res, 400, { error: 'name and email are both required' });
  const signupId = await redis.incr('signups:last-id');
  await redis.hset(`signup:${signupId}`, { name, email, at: Date.now() });

  // Hand the slow part to a worker: adding a job is one quick write to the broker, so the
  // page answers at once. 202 Accepted: "received, it will happen soon".
  // Step 2: the mail server now refuses the first tries to each new address. Without
  // more attempts, one refusal fails the job for good. Add options to this call.
  const job = await queue.add('welcome', { signupId, name, email });
  reply(res, 202, { signupId, jobId: job.id });
}

serve({ signup }); // POST signup runs the handler above

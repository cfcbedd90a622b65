// Everything that talks to the broker starts here. The web server (the producer) imports the
// queue to add jobs; the worker (the consumer) imports the connection to take them.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

// The broker's address comes from the environment, as in production: the sandbox sets
// REDIS_URL to the broker it started.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// BullMQ opens its own connections from these options. (A worker needs a connection of its
// own for its blocking "give me the next job" reads, so we pass options, not a client.)
export const connection = { url };

// A plain client for our own keys: sign-ups, and anything else the app stores.
export const redis = new Redis(url);

// If the broker goes away, say so in one line per reconnect attempt (without a listener,
// ioredis prints a full stack trace each time). Both clients reconnect by themselves.
const warn = (err: Error) => console.error(`broker connection: ${err.message}`);
redis.on('error', warn);

// The queue's name is the whole contract between producer and consumer: both use it.
export const QUEUE_NAME = 'emails';

// What a welcome job carries. Keep job data small and serialisable (it is stored as JSON):
// ids and the few fields the worker needs, never live objects.
export interface WelcomeJob {
  signupId: number;
  name: string;
  email: string;
}

export const queue = new Queue<WelcomeJob>(QUEUE_NAME, {
  connection,
  // Options every job gets unless queue.add overrides them.
  defaultJobOptions: {
    // Keep the last 100 finished jobs so you (and the page) can inspect them, without
    // letting the broker's memory grow forever.
    removeOnComplete: 100,
    removeOnFail: 100,
  },
});
queue.on('error', warn);

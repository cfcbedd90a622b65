// The app's views, one function per URL, as in a Django app's views.py. Each gets the request's
// query and answers with a status and a body. You edit this file in steps 1, 2 and 4.
import { pbkdf2, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { render, type Answer } from './work.ts';

const pbkdf2Async = promisify(pbkdf2);

/**
 * The article's experiment: print "start", wait, print "end". The wait is awaited: the event
 * loop serves other requests until the timer fires, like asyncio.sleep(5) in an async view.
 */
export async function archive(query: URLSearchParams): Promise<Answer> {
  const seconds = Number(query.get('seconds') ?? 5);
  console.log('start');
  await sleep(seconds * 1000);
  console.log('end');
  return { status: 200, body: 'Hello World' };
}

/**
 * A login's password check: PBKDF2-SHA256, as Django's default password hasher does. The
 * hashing runs on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise),
 * so the event loop keeps answering while it works.
 */
export const ITERATIONS = 500_000;
export async function hash(query: URLSearchParams): Promise<Answer> {
  const password = query.get('password') ?? 'correct horse battery staple';
  const key = await pbkdf2Async(password, randomBytes(16), ITERATIONS, 32, 'sha256');
  return { status: 200, body: key.toString('hex') };
}

/** A page rendered from data: some milliseconds of JavaScript on this thread, every time. */
export async function report(): Promise<Answer> {
  return { status: 200, body: render(), type: 'text/html; charset=utf-8' };
}

// The app's views, one function per URL, as in a Django app's views.py. Each gets the request's
// query and answers with a status and a body. You edit this file in steps 1, 2 and 4.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { render, sleepSync, type Answer } from './work.ts';

/**
 * The article's experiment: print "start", wait, print "end". This wait blocks: nothing else
 * in this process runs until it returns, exactly like Python's time.sleep(5) in a Django view.
 */
export async function archive(query: URLSearchParams): Promise<Answer> {
  const seconds = Number(query.get('seconds') ?? 5);
  console.log('start');
  sleepSync(seconds * 1000);
  console.log('end');
  return { status: 200, body: 'Hello World' };
}

/** A login's password check: PBKDF2-SHA256, as Django's default password hasher does. */
export const ITERATIONS = 500_000;
export async function hash(query: URLSearchParams): Promise<Answer> {
  const password = query.get('password') ?? 'correct horse battery staple';
  const key = pbkdf2Sync(password, randomBytes(16), ITERATIONS, 32, 'sha256');
  return { status: 200, body: key.toString('hex') };
}

/** A page rendered from data: some milliseconds of JavaScript on this thread, every time. */
export async function report(): Promise<Answer> {
  return { status: 200, body: render(), type: 'text/html; charset=utf-8' };
}

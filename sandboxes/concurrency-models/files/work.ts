// Helpers the views use, and the reference handlers the page compares yours with. Not edited
// in any step.
import { setTimeout as wait } from 'node:timers/promises';

export interface Answer {
  status: number;
  body: string;
  type?: string;
  headers?: Record<string, string>;
}

/**
 * Waits without giving the thread back: Atomics.wait parks this thread like time.sleep parks a
 * Python thread. In Node there is one thread for all requests, so every request waits too.
 */
export function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
}

/** The two reference handlers: the same wait, blocking and awaited. */
export async function blocking(query: URLSearchParams): Promise<Answer> {
  sleepSync(Number(query.get('ms') ?? 10));
  return { status: 200, body: 'slept (blocking)' };
}
export async function awaited(query: URLSearchParams): Promise<Answer> {
  await wait(Number(query.get('ms') ?? 10));
  return { status: 200, body: 'slept (awaited)' };
}

/** A fixed amount of work (not a fixed time): a 400-row table, built and escaped. */
const ROWS = Array.from({ length: 400 }, (_, i) => ({ id: i, name: `Customer <${i}> & co`, total: (i * 37.5) % 1000, city: ['Chengdu', 'Leeds', 'Porto', 'Austin'][i % 4]! }));
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
export function render(): string {
  let html = '';
  for (let pass = 0; pass < 12; pass++) {
    html = '<table>';
    for (const r of ROWS) html += `<tr><td>${r.id}</td><td>${escape(r.name)}</td><td>${r.total.toFixed(2)}</td><td>${escape(r.city)}</td></tr>`;
    html += '</table>';
    html = JSON.parse(JSON.stringify({ html })).html as string;
  }
  return html;
}

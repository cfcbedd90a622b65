// Run by lab.ts in a process of its own, with UV_THREADPOOL_SIZE set: libuv reads it once, when
// its pool first starts, so each size needs a fresh process. Prints one line of JSON.
import { pbkdf2 } from 'node:crypto';

const ITERATIONS = 250_000;
const call = () => new Promise<void>((resolve, reject) => pbkdf2('secret', 'salt', ITERATIONS, 32, 'sha256', (e) => (e ? reject(e) : resolve())));

// One call alone first: how long a call takes when it has a thread and a core to itself.
let t = performance.now();
await call();
const aloneMs = performance.now() - t;

t = performance.now();
const calls = await Promise.all(Array.from({ length: 8 }, (_, i) => call().then(() => ({ i, ended: performance.now() - t }))));
console.log(JSON.stringify({ aloneMs, calls }));

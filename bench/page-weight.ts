// `node bench/page-weight.ts`: each page's HTML as the runner sends it (`npm start`, no build),
// on the wire with brotli, with gzip and uncompressed, and how much of it is the workbench's
// island props (the workbench's manifest and step names; each step's files are fetched when it
// is opened, see site/integration/step-files.ts). Sizes, not timings: they do not depend on the machine.
import { request } from 'node:http';
import { cleanup, startCourse } from '../test/e2e/harness.ts';

const PAGES = ['/', '/lessons/async-tasks/', '/lessons/scheduling/', '/lessons/websockets/'];
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function wire(origin: string, path: string, cookie: string, encoding: string): Promise<{ bytes: number; body: string }> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { cookie, 'accept-encoding': encoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ bytes: raw.length, body: res.headers['content-encoding'] ? '' : raw.toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const course = await startCourse();
try {
  // The token link sets the cookie every page needs.
  const first = await fetch(course.url, { redirect: 'manual' });
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
  console.log('page | brotli | gzip | uncompressed | island props');
  for (const path of PAGES) {
    const br = await wire(course.origin, path, cookie, 'br');
    const gz = await wire(course.origin, path, cookie, 'gzip');
    const plain = await wire(course.origin, path, cookie, 'identity');
    const props = [...plain.body.matchAll(/<astro-island[^>]*\sprops="([^"]*)"/g)].reduce((n, m) => n + m[1]!.length, 0);
    console.log(`${path} | ${kb(br.bytes)} | ${kb(gz.bytes)} | ${kb(plain.bytes)} | ${kb(props)} (${((props / plain.bytes) * 100).toFixed(0)}%)`);
  }
} finally {
  await course.stop();
  cleanup(course);
}

// The runner sends the built site compressed: brotli where the browser takes it, gzip where
// only that is offered, the file as it is otherwise; images and tiny files as they are. The
// bytes a browser decodes are exactly the file's (the page's with its token).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createStaticSite, pickEncoding } from '../../runner/static.ts';

let dist: string;
let server: Server;
let port: number;
const script = `export const lesson = ${JSON.stringify('Fan out across instances through the broker. '.repeat(400))};\n`;
const page = `<!doctype html><html><head><title>Lesson</title></head><body>${'<p>A guest phoning the host from every market stall is polling.</p>'.repeat(200)}</body></html>`;
const png = Buffer.alloc(4096, 7);

before(async () => {
  dist = await mkdtemp(join(tmpdir(), 'hotpot-compress-'));
  await mkdir(join(dist, '_astro'));
  await writeFile(join(dist, 'index.html'), page);
  await writeFile(join(dist, '_astro', 'lesson.js'), script);
  await writeFile(join(dist, 'tiny.js'), 'export {};\n');
  await writeFile(join(dist, 'picture.png'), png);
  const site = createStaticSite(dist, 'the-token');
  server = createServer((req, res) => void site.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  server.close();
  await rm(dist, { recursive: true, force: true });
});

/** A raw GET (fetch would decode the body itself). */
function get(path: string, acceptEncoding?: string): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a script goes brotli to a browser that takes it, gzip to one that takes only that, plain otherwise; each decodes to the file', async () => {
  const br = await get('/_astro/lesson.js', 'gzip, deflate, br, zstd');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(Number(br.headers['content-length']), br.body.length);
  assert.ok(br.body.length < script.length / 10, `${br.body.length} bytes for ${script.length}`);
  assert.equal(brotliDecompressSync(br.body).toString(), script);
  assert.equal(br.headers.vary, 'Accept-Encoding');

  const gz = await get('/_astro/lesson.js', 'gzip');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), script);

  const plain = await get('/_astro/lesson.js');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), script);
});

test('a page is compressed with its token in it', async () => {
  const res = await get('/', 'br');
  assert.equal(res.headers['content-encoding'], 'br');
  const html = brotliDecompressSync(res.body).toString();
  assert.match(html, /<head><meta name="hotpot-runner-token" content="the-token">/);
  assert.equal(html.length, page.length + '<meta name="hotpot-runner-token" content="the-token">'.length);
});

test('images and files under a packet go as they are', async () => {
  const picture = await get('/picture.png', 'br');
  assert.equal(picture.headers['content-encoding'], undefined);
  assert.deepEqual(picture.body, png);
  const tiny = await get('/tiny.js', 'br');
  assert.equal(tiny.headers['content-encoding'], undefined);
  assert.equal(tiny.body.toString(), 'export {};\n');
});

test('Accept-Encoding is read with its weights', () => {
  assert.equal(pickEncoding('gzip, br;q=0'), 'gzip');
  assert.equal(pickEncoding('br;q=0, gzip;q=0'), null);
  assert.equal(pickEncoding('*'), 'br');
  assert.equal(pickEncoding(undefined), null);
  assert.equal(pickEncoding('identity'), null);
});

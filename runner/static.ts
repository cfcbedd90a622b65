// The built site, served from the dist folder: folders and extensionless paths resolve to
// index.html, nothing outside dist is reachable, and every HTML page carries the runner token.
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { TOKEN_META } from '../engine/contract.ts';
import { escapeHtml, courseHeaders, messagePage, sendHtml } from './http.ts';

export const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.bin': 'application/octet-stream',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
};

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Text compresses to a fraction; images, fonts and archives are compressed already. */
export function compressible(type: string): boolean {
  return /^(text\/|application\/(json|javascript|xml|wasm|manifest\+json|octet-stream)|image\/svg)/.test(type);
}

/** The encoding to answer with, from Accept-Encoding: brotli, else gzip, else none. */
export function pickEncoding(accept: string | string[] | undefined): 'br' | 'gzip' | null {
  const offered = new Map<string, number>();
  for (const part of String(accept ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
    if (name) offered.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string) => (offered.get(name) ?? offered.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : null;
}

/**
 * Compressed bodies, made once per file version and kept: the built site does not change
 * while it is served. The first request gets a quick compression (brotli 5, about gzip's
 * size, in milliseconds); the best one (brotli 11, a further 10–20 % smaller, but seconds for
 * the editor's megabytes) is made after it, off the event loop, and replaces it in the cache.
 */
class CompressedCache {
  #entries = new Map<string, { version: number; body: Promise<Buffer> }>();
  #bytes = 0;
  static readonly LIMIT = 64 * 1024 * 1024;

  get(key: string, version: number, encoding: 'br' | 'gzip', load: () => Promise<Buffer>): Promise<Buffer> {
    const id = `${encoding}:${key}`;
    const hit = this.#entries.get(id);
    if (hit && hit.version === version) return hit.body;
    const raw = load();
    const compress = (best: boolean) =>
      raw.then((b) =>
        encoding === 'br'
          ? brotli(b, { params: { [zlib.BROTLI_PARAM_QUALITY]: best ? 11 : 5, [zlib.BROTLI_PARAM_SIZE_HINT]: b.length } })
          : gzipped(b, { level: best ? 9 : 6 }),
      );
    const body = compress(false);
    // Past the budget, bodies are made per request and not kept.
    if (this.#bytes < CompressedCache.LIMIT) {
      this.#entries.set(id, { version, body });
      void body.then(
        (quick) => {
          this.#bytes += quick.length;
          return compress(true).then((best) => {
            const entry = this.#entries.get(id);
            if (entry?.body === body && best.length < quick.length) {
              this.#entries.set(id, { version, body: Promise.resolve(best) });
              this.#bytes -= quick.length - best.length;
            }
          });
        },
        () => this.#entries.delete(id),
      ).catch(() => {});
    }
    return body;
  }
}

export function contentType(path: string): string {
  return contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** `<meta name="hotpot-runner-token">` right after `<head>` (or at the very start if there is no head). */
export function embedToken(html: string, token: string): string {
  const meta = `<meta name="${TOKEN_META}" content="${escapeHtml(token)}">`;
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  if (!head) return meta + html;
  const at = head.index + head[0].length;
  return html.slice(0, at) + meta + html.slice(at);
}

/**
 * The file under `root` that a URL path names, or null: the path is decoded, must not contain
 * ".." segments, NUL or backslashes, and must stay inside root.
 */
export function safeJoin(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/');
  if (parts.includes('..')) return null;
  const base = resolve(root);
  const full = resolve(base, '.' + '/' + parts.filter((p) => p && p !== '.').join('/'));
  if (full !== base && !full.startsWith(base + sep)) return null;
  return full;
}

async function fileAt(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  return info?.isFile() ? path : null;
}

export interface StaticSite {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createStaticSite(distDir: string, token: string): StaticSite {
  const root = resolve(distDir);
  let realRoot: string | null = null;
  const compressed = new CompressedCache();

  /** Writes a body, compressed when the client takes it and it pays (more than a packet). */
  /** `page`: a body made here (a page with its token), sent instead of the file when not compressed. */
  async function answer(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number>, key: string, version: number, size: number, page?: Buffer): Promise<void> {
    const encoding = compressible(String(headers['Content-Type'])) && size > 1024 ? pickEncoding(req.headers['accept-encoding']) : null;
    let body: Buffer | null = page ?? null;
    if (encoding) {
      body = await compressed.get(key, version, encoding, page ? async () => page : () => readFile(key));
      headers['Content-Encoding'] = encoding;
      headers['Content-Length'] = body.length;
    }
    if (compressible(String(headers['Content-Type']))) headers['Vary'] = 'Accept-Encoding';
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    if (body) return void res.end(body);
    await new Promise<void>((done) => {
      const stream = createReadStream(key);
      stream.once('error', () => (res.destroy(), done()));
      res.once('close', () => (stream.destroy(), done()));
      stream.pipe(res);
    });
  }

  async function inside(path: string): Promise<boolean> {
    realRoot ??= await realpath(root).catch(() => root);
    const real = await realpath(path).catch(() => null);
    return real !== null && (real === realRoot || real.startsWith(realRoot + sep));
  }

  /** `/x` → x, x/index.html, x.html; `/x/` → x/index.html. */
  async function find(urlPath: string): Promise<string | null> {
    const full = safeJoin(root, urlPath);
    if (!full) return null;
    const candidates = urlPath.endsWith('/') ? [join(full, 'index.html')] : [full, join(full, 'index.html'), `${full}.html`];
    for (const c of candidates) {
      const found = await fileAt(c);
      if (found && (await inside(found))) return found;
    }
    return null;
  }

  async function send(req: IncomingMessage, res: ServerResponse, file: string, status: number, urlPath: string): Promise<void> {
    const type = contentType(file);
    const headers: Record<string, string | number> = { ...courseHeaders, 'Content-Type': type };
    const info = await stat(file);
    if (type.startsWith('text/html')) {
      const body = Buffer.from(embedToken(await readFile(file, 'utf8'), token), 'utf8');
      // The token changes with every start, so pages are never cached by the browser.
      return answer(req, res, status, { ...headers, 'Content-Length': body.length, 'Cache-Control': 'no-store' }, file, info.mtimeMs, body.length, body);
    }
    headers['Content-Length'] = info.size;
    headers['Last-Modified'] = info.mtime.toUTCString();
    // Astro fingerprints everything under /_astro/, and a step's files are named by a hash of
    // their contents (site/integration/step-files.ts): neither changes under the same name.
    headers['Cache-Control'] = /^\/(_astro|steps)\//.test(urlPath) ? 'public, max-age=31536000, immutable' : 'no-cache';
    const since = req.headers['if-modified-since'];
    if (status === 200 && since && Math.floor(info.mtimeMs / 1000) <= Math.floor(Date.parse(since) / 1000)) {
      res.writeHead(304, { ...courseHeaders, 'Cache-Control': headers['Cache-Control'] as string, 'Last-Modified': headers['Last-Modified'] as string });
      res.end();
      return;
    }
    await answer(req, res, status, headers, file, info.mtimeMs, info.size);
  }

  async function notFound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const page = await fileAt(join(root, '404.html'));
    if (page) return send(req, res, page, 404, '/404.html');
    const page404 = messagePage('Page not found', [`There is no page at <code>${escapeHtml(new URL(req.url ?? '/', 'http://x').pathname)}</code>.`, '<a href="/">Go to the course</a>.']);
    sendHtml(res, 404, embedToken(page404, token));
  }

  return {
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendHtml(res, 405, messagePage('Method not allowed', ['The course site only answers GET and HEAD.']), { Allow: 'GET, HEAD' });
        return;
      }
      const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
      const file = await find(urlPath);
      if (!file) return notFound(req, res);
      await send(req, res, file, 200, urlPath);
    },
  };
}

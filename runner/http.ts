// Response helpers shared by the static site, the API and the preview proxy.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/**
 * Cross-origin isolation, on every response the runner sends: the WebContainer path needs
 * SharedArrayBuffer, and previews in a require-corp page must be same-origin resources.
 */
export const isolationHeaders: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** Every response of the course's own origin: isolated, and framed by no other page (clickjacking). */
export const courseHeaders: Readonly<Record<string, string>> = Object.freeze({
  ...isolationHeaders,
  'Content-Security-Policy': "frame-ancestors 'self'",
  'X-Frame-Options': 'SAMEORIGIN',
});

/**
 * Every response of a preview's origin: its own cross-origin isolation (a require-corp page may
 * frame it only if it opts in with COEP and CORP cross-origin), framed by the course's origins
 * and no one else's.
 */
export function previewHeaders(frameAncestors: string[]): Record<string, string> {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Content-Security-Policy': `frame-ancestors ${frameAncestors.join(' ')}`,
  };
}

export function setHeaders(res: ServerResponse, headers: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small readable HTML page: the runner's own errors (401, 403, 404, 502) look like this. */
export function messagePage(title: string, paragraphs: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}code{background:#f2f2f2;padding:0 .25rem;border-radius:3px}</style>
</head><body><h1>${escapeHtml(title)}</h1>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</body></html>
`;
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}, base: Readonly<Record<string, string>> = courseHeaders): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, { ...base, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { ...courseHeaders, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Refuses a WebSocket (or other upgrade) handshake with a plain HTTP response and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, text: string, base: Readonly<Record<string, string>> = courseHeaders): void {
  if (!socket.writable) return void socket.destroy();
  const body = Buffer.from(`${text}\n`, 'utf8');
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries(base).map(([k, v]) => `${k}: ${v}`),
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

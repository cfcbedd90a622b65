// The preview proxy: /preview/<runId>/<portName>/<rest> reaches the sandbox's port on the
// loopback interface, same-origin with the course page (so the preview iframe passes
// cross-origin isolation). HTTP is streamed both ways without buffering (server-sent events
// flow as they are written); WebSocket upgrades are piped at the TCP level.
import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { TOKEN_HEADER, cookieWithoutToken } from './auth.ts';
import { escapeHtml, isolationHeaders, messagePage, refuseUpgrade, sendHtml } from './http.ts';

export const PREVIEW_PREFIX = '/preview/';

export interface PreviewTarget {
  host: string;
  port: number;
}

/** Finds where a run's port is reachable; null when the run or port is unknown. */
export type ResolveTarget = (runId: string, port: string) => PreviewTarget | null;

export interface PreviewPath {
  runId: string;
  port: string;
  /** The prefix as the browser sees it: /preview/<runId>/<port> (no trailing slash). */
  prefix: string;
  /** What the sandbox sees: "/" + rest, with the query kept. */
  path: string;
  /** /preview/<run>/<port> without the trailing slash. */
  bare: boolean;
}

export function parsePreviewPath(rawUrl: string): PreviewPath | null {
  if (!rawUrl.startsWith(PREVIEW_PREFIX)) return null;
  const q = rawUrl.indexOf('?');
  const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const search = q < 0 ? '' : rawUrl.slice(q);
  const m = /^\/preview\/([A-Za-z0-9_-]+)\/([a-z0-9-]+)(\/.*)?$/.exec(pathname);
  if (!m) return null;
  const [, runId, port, rest] = m;
  return { runId: runId!, port: port!, prefix: `/preview/${runId}/${port}`, path: (rest ?? '/') + search, bare: rest === undefined };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** Request headers for the sandbox: hop-by-hop out, the runner's token (cookie and header) out. */
function forwardHeaders(req: IncomingMessage, target: PreviewTarget, prefix: string, keepUpgrade: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionListed = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'cookie' || lower === TOKEN_HEADER || lower === 'host') continue;
    if (!keepUpgrade && (HOP_BY_HOP.has(lower) || connectionListed.has(lower))) continue;
    if (keepUpgrade && (lower === 'proxy-connection' || lower === 'proxy-authorization')) continue;
    out[lower] = value;
  }
  const cookie = cookieWithoutToken(req.headers.cookie);
  if (cookie) out.cookie = cookie;
  out.host = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  out['x-forwarded-proto'] = 'http';
  out['x-forwarded-prefix'] = prefix;
  return out;
}

/** A redirect from the sandbox to "/x" (or to its own address) stays inside the preview. */
function rewriteLocation(location: string, prefix: string, target: PreviewTarget): string {
  if (location.startsWith('/') && !location.startsWith('//')) return prefix + location;
  try {
    const u = new URL(location);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if ((host === target.host || host === 'localhost' || host === '127.0.0.1' || host === '::1') && Number(u.port) === target.port)
      return prefix + u.pathname + u.search + u.hash;
  } catch {
    // relative: fine as it is
  }
  return location;
}

function responseHeaders(headers: IncomingHttpHeaders, prefix: string, target: PreviewTarget): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionListed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || connectionListed.has(lower)) continue;
    if (lower in lowerIsolation) continue;
    out[lower] = lower === 'location' && typeof value === 'string' ? rewriteLocation(value, prefix, target) : value;
  }
  return { ...out, ...isolationHeaders };
}

const lowerIsolation = Object.fromEntries(Object.keys(isolationHeaders).map((k) => [k.toLowerCase(), true]));

function unknownPreview(res: ServerResponse, p: PreviewPath): void {
  sendHtml(
    res,
    404,
    messagePage('This preview is not running', [
      `No running sandbox has the preview <code>${escapeHtml(p.prefix)}/</code>. The run it belonged to has stopped, or it never had a port named <code>${escapeHtml(p.port)}</code>.`,
      'Press Run in the course page to start the sandbox again; the preview reloads with the new address.',
    ]),
  );
}

function notAnswering(res: ServerResponse, p: PreviewPath, target: PreviewTarget, error: Error): void {
  sendHtml(
    res,
    502,
    messagePage('The sandbox is not answering', [
      `Nothing answered on the sandbox's port <code>${escapeHtml(p.port)}</code> (${escapeHtml(`${target.host}:${target.port}`)}): ${escapeHtml(error.message)}.`,
      'The process that serves it may have stopped or crashed: look at its terminal, restart it or press Run again, then reload this preview.',
    ]),
  );
}

/** Proxies an HTTP request whose URL starts with /preview/. */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, resolveTarget: ResolveTarget): void {
  const p = parsePreviewPath(req.url ?? '');
  if (!p) {
    sendHtml(res, 404, messagePage('No such preview', ['Preview addresses look like <code>/preview/&lt;run&gt;/&lt;port&gt;/</code>.']));
    return;
  }
  const target = resolveTarget(p.runId, p.port);
  if (!target) return unknownPreview(res, p);
  if (p.bare) {
    // Relative links in the sandbox's page need the trailing slash.
    res.writeHead(302, { ...isolationHeaders, Location: `${p.prefix}/${p.path.slice(1)}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const upstream = request({
    host: target.host,
    port: target.port,
    method: req.method,
    path: p.path,
    headers: forwardHeaders(req, target, p.prefix, false),
    agent: false,
  });
  upstream.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, up.statusMessage, responseHeaders(up.headers, p.prefix, target));
    // Server-sent events and other streams: send headers and every chunk as it comes.
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (error) => {
    if (!res.headersSent) notAnswering(res, p, target, error);
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** Proxies a WebSocket (or other) upgrade whose URL starts with /preview/: a byte pipe once connected. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, resolveTarget: ResolveTarget): void {
  const p = parsePreviewPath(req.url ?? '');
  const target = p ? resolveTarget(p.runId, p.port) : null;
  if (!p || !target) return refuseUpgrade(socket, 404, 'This preview is not running: the run it belonged to has stopped.');
  const upstream = connect({ host: target.host, port: target.port });
  const headers = forwardHeaders(req, target, p.prefix, true);
  const lines = [`${req.method ?? 'GET'} ${p.path} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  upstream.once('connect', () => {
    upstream.setNoDelay(true);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    socket.pipe(upstream);
    // The sandbox's answer (101 or a refusal) gets the isolation headers too, then bytes flow as they are.
    let answer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      const end = answer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (answer.length > 64 * 1024) (upstream.destroy(), socket.destroy());
        return;
      }
      upstream.off('data', onData);
      const headLines = answer
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n')
        .filter((l) => !/^cross-origin-(opener|embedder|resource)-policy\s*:/i.test(l));
      for (const [k, v] of Object.entries(isolationHeaders)) headLines.push(`${k}: ${v}`);
      socket.write(Buffer.from(headLines.join('\r\n') + '\r\n\r\n', 'latin1'));
      const rest = answer.subarray(end + 4);
      if (rest.length) socket.write(rest);
      upstream.pipe(socket);
    };
    upstream.on('data', onData);
  });
  upstream.once('error', (error) => {
    if (socket.writable && upstream.bytesRead === 0) refuseUpgrade(socket, 502, `The sandbox is not answering on port "${p.port}": ${error.message}`);
    else socket.destroy();
  });
  socket.once('error', () => upstream.destroy());
  socket.once('close', () => upstream.destroy());
  upstream.once('close', () => socket.destroy());
}

// The preview proxy: a request to a preview's own origin (see preview-host.ts) reaches the
// sandbox's port on the loopback interface, its path as it is. The answer gets the preview
// origin's isolation and framing headers, and never a runner's token cookie. HTTP is streamed
// both ways without buffering (server-sent events flow as they are written); WebSocket upgrades
// are piped at the TCP level.
import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { TOKEN_HEADER, cookieWithoutToken, isTokenCookieName, setCookieName } from './auth.ts';
import { escapeHtml, messagePage, refuseUpgrade, sendHtml } from './http.ts';

/** Where a sandbox's port is reachable on loopback. */
export interface PreviewTarget {
  host: string;
  port: number;
}

/** One request to a preview origin: the port it names, where that port is now (null: no run has it), the headers every answer gets. */
export interface PreviewRoute {
  /** The manifest's port name, for messages. */
  port: string;
  target: PreviewTarget | null;
  /** Isolation and framing headers of the preview's origin (they replace the sandbox's own). */
  headers: Readonly<Record<string, string>>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** Request headers for the sandbox: hop-by-hop out, the runner's token (cookie and header) out. */
function forwardHeaders(req: IncomingMessage, target: PreviewTarget, keepUpgrade: boolean): Record<string, string | string[]> {
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
  return out;
}

/** A redirect from the sandbox to its own loopback address stays on the preview's origin. */
function rewriteLocation(location: string, origin: string, target: PreviewTarget): string {
  try {
    const u = new URL(location);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if ((host === target.host || host === 'localhost' || host === '127.0.0.1' || host === '::1') && Number(u.port) === target.port)
      return origin + u.pathname + u.search + u.hash;
  } catch {
    // relative: fine as it is
  }
  return location;
}

/** A Set-Cookie that would set or shadow a runner's cookie (token or preview key): dropped, whatever the sandbox means by it. */
function setsTokenCookie(value: string): boolean {
  const name = setCookieName(value);
  if (name !== '') return isTokenCookieName(name);
  // A nameless cookie is sent as its value alone: `=hotpot_token_4321=x` comes back as `hotpot_token_4321=x`.
  const pair = value.split(';', 1)[0]!;
  return isTokenCookieName(setCookieName(pair.slice(pair.indexOf('=') + 1)));
}

const ISOLATION_NAMES = new Set(['cross-origin-opener-policy', 'cross-origin-embedder-policy', 'cross-origin-resource-policy']);

function responseHeaders(headers: IncomingHttpHeaders, route: PreviewRoute, origin: string, target: PreviewTarget): Record<string, string | string[]> {
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
    if (ISOLATION_NAMES.has(lower)) continue;
    if (lower === 'set-cookie') {
      const kept = (Array.isArray(value) ? value : [value]).filter((v) => !setsTokenCookie(v));
      if (kept.length) out[lower] = kept;
      continue;
    }
    out[lower] = lower === 'location' && typeof value === 'string' ? rewriteLocation(value, origin, target) : value;
  }
  // The sandbox may add its own Content-Security-Policy; ours (frame-ancestors) is sent beside it and both apply.
  const csp = out['content-security-policy'];
  const merged: Record<string, string | string[]> = { ...out };
  for (const [k, v] of Object.entries(route.headers)) {
    const lower = k.toLowerCase();
    merged[lower] = lower === 'content-security-policy' && csp !== undefined ? [...(Array.isArray(csp) ? csp : [csp]), v] : v;
  }
  return merged;
}

function unknownPreview(res: ServerResponse, route: PreviewRoute): void {
  sendHtml(
    res,
    404,
    messagePage('This preview is not running', [
      `No run of this sandbox has the port <code>${escapeHtml(route.port)}</code> open: it has been stopped, or it has not started yet.`,
      'Press Run in the course page to start the sandbox again; this address stays the same, so reloading this page then shows it.',
    ]),
    {},
    route.headers,
  );
}

function notAnswering(res: ServerResponse, route: PreviewRoute, target: PreviewTarget, error: Error): void {
  sendHtml(
    res,
    502,
    messagePage('The sandbox is not answering', [
      `Nothing answered on the sandbox's port <code>${escapeHtml(route.port)}</code> (${escapeHtml(`${target.host}:${target.port}`)}): ${escapeHtml(error.message)}.`,
      'The process that serves it may have stopped or crashed: look at its terminal, restart it or press Run again, then reload this preview.',
    ]),
    {},
    route.headers,
  );
}

/** The origin the browser addressed (the preview's own), for redirects. */
function originOf(req: IncomingMessage): string {
  return `http://${req.headers.host ?? 'localhost'}`;
}

/** Proxies an HTTP request to a preview origin: the path goes to the sandbox as it is. */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, route: PreviewRoute): void {
  const target = route.target;
  if (!target) return unknownPreview(res, route);
  const upstream = request({
    host: target.host,
    port: target.port,
    method: req.method,
    path: req.url ?? '/',
    headers: forwardHeaders(req, target, false),
    agent: false,
  });
  upstream.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, up.statusMessage, responseHeaders(up.headers, route, originOf(req), target));
    // Server-sent events and other streams: send headers and every chunk as it comes.
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (error) => {
    if (!res.headersSent) notAnswering(res, route, target, error);
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** Proxies a WebSocket (or other) upgrade to a preview origin: a byte pipe once connected. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: PreviewRoute): void {
  const target = route.target;
  if (!target) return refuseUpgrade(socket, 404, 'This preview is not running: press Run in the course page; the page reconnects at the same address.', route.headers);
  const upstream = connect({ host: target.host, port: target.port });
  const headers = forwardHeaders(req, target, true);
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  upstream.once('connect', () => {
    upstream.setNoDelay(true);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    socket.pipe(upstream);
    // The sandbox's answer (101 or a refusal) gets the preview's headers too, then bytes flow as they are.
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
        .filter((l) => !/^cross-origin-(opener|embedder|resource)-policy\s*:/i.test(l))
        .filter((l) => !(/^set-cookie\s*:/i.test(l) && setsTokenCookie(l.slice(l.indexOf(':') + 1).trim())));
      for (const [k, v] of Object.entries(route.headers)) headLines.push(`${k}: ${v}`);
      socket.write(Buffer.from(headLines.join('\r\n') + '\r\n\r\n', 'latin1'));
      const rest = answer.subarray(end + 4);
      if (rest.length) socket.write(rest);
      upstream.pipe(socket);
    };
    upstream.on('data', onData);
  });
  upstream.once('error', (error) => {
    if (socket.writable && upstream.bytesRead === 0) refuseUpgrade(socket, 502, `The sandbox is not answering on port "${route.port}": ${error.message}`, route.headers);
    else socket.destroy();
  });
  socket.once('error', () => upstream.destroy());
  socket.once('close', () => upstream.destroy());
  upstream.once('close', () => socket.destroy());
}

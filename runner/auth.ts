// The per-start token, as Jupyter does it: the URL that `npm start` prints carries it once,
// the runner moves it into an HttpOnly cookie, and every request (pages, API, WebSocket,
// previews) must present it. Anyone else on this machine or network gets 401 or 403.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_HEADER as TOKEN_HEADER_NAME } from '../engine/contract.ts';
import { messagePage } from './http.ts';

/** The cookie's name carries the runner's port: cookies are per host, not per port, so two runners on one machine (or any other local server) must not overwrite or receive each other's. */
export const TOKEN_COOKIE_PREFIX = 'hotpot_token';
export function tokenCookieName(port: number): string {
  return `${TOKEN_COOKIE_PREFIX}_${port}`;
}
/** Node lower-cases incoming header names. */
export const TOKEN_HEADER = TOKEN_HEADER_NAME.toLowerCase();
export const TOKEN_PARAM = 'token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison (hashing first makes lengths equal and leaks nothing about them). */
export function tokenEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Every value sent under one cookie name, in order: a page that adds a same-named cookie with a longer Path gets its value sent first. */
export function cookieValues(header: string | undefined, name: string): string[] {
  const out: string[] = [];
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep it as sent
    }
    out.push(value);
  }
  return out;
}

/** Cookie names of the runner's own: its token (this runner's or another's) and a preview's key (`preview-port.ts`). */
const RUNNER_COOKIE_PREFIXES = [TOKEN_COOKIE_PREFIX, 'hotpot_preview'];

/**
 * Whether a cookie name is one of the runner's (this runner's or another's). Letter case is
 * ignored: a browser keeps `HOTPOT_TOKEN_4321` apart, but no sandbox needs such a name.
 */
export function isTokenCookieName(name: string): boolean {
  const n = name.trim().toLowerCase();
  return RUNNER_COOKIE_PREFIXES.some((p) => n === p || n.startsWith(`${p}_`));
}

/** The name a Set-Cookie value sets: before the first `=` of its first part; a part without `=` sets a nameless cookie whose value browsers send alone. */
export function setCookieName(value: string): string {
  const pair = value.split(';', 1)[0]!;
  const eq = pair.indexOf('=');
  return (eq < 0 ? pair : pair.slice(0, eq)).trim();
}

/** The Cookie header without any runner's cookie (token or preview key), so a sandbox never sees one (null when nothing is left). */
export function cookieWithoutToken(header: string | undefined): string | null {
  if (!header) return null;
  const kept = header
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !isTokenCookieName(p.split('=', 1)[0]!));
  return kept.length ? kept.join('; ') : null;
}

export function tokenCookie(name: string, token: string): string {
  return `${name}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

export type AuthOutcome =
  /** Carries the right token. */
  | { kind: 'ok' }
  /** `?token=` was right: set the cookie and redirect to this URL (the token parameter removed). */
  | { kind: 'redirect'; location: string; cookie: string }
  /** No token at all. */
  | { kind: 'missing' }
  /** A token, but not this start's. */
  | { kind: 'wrong' };

/**
 * Decides on a request. A right `?token=` redirects to the same URL without it (for WebSocket
 * handshakes, where `redirect` is false, it is simply accepted). Otherwise the cookie and the
 * X-Hotpot-Token header are tried, and either being right is enough: a `token` parameter that
 * is not ours then belongs to the page (a sandbox may use one) and is left alone.
 */
export function authorize(req: IncomingMessage, token: string, options: { redirect?: boolean; cookieName: string }): AuthOutcome {
  const url = new URL(req.url ?? '/', 'http://runner.invalid');
  const fromQuery = url.searchParams.getAll(TOKEN_PARAM);
  // Judge every candidate, so the time taken does not tell which one was right.
  let queryOk = false;
  for (const t of fromQuery) queryOk = tokenEquals(t, token) || queryOk;
  if (queryOk) {
    if (options.redirect === false) return { kind: 'ok' };
    url.searchParams.delete(TOKEN_PARAM);
    const search = url.searchParams.toString();
    return { kind: 'redirect', location: `${url.pathname}${search ? `?${search}` : ''}`, cookie: tokenCookie(options.cookieName, token) };
  }
  const candidates: string[] = [];
  // Every value of the cookie: a preview page on the same host may add one of the same name with
  // a longer Path (a script cannot overwrite the HttpOnly one), which the browser sends first.
  candidates.push(...cookieValues(req.headers.cookie, options.cookieName));
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string') candidates.push(header);
  let ok = false;
  for (const c of candidates) ok = tokenEquals(c, token) || ok;
  if (ok) return { kind: 'ok' };
  return candidates.length === 0 && fromQuery.length === 0 ? { kind: 'missing' } : { kind: 'wrong' };
}

/**
 * For WebSocket handshakes: a browser always sends Origin; it must name the host the page
 * was loaded from (the Host header), or another site is trying to drive the runner.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

export const missingTokenPage = messagePage('This page needs the link that npm start printed', [
  'The Hotpot runner only answers the browser that opened the link it printed when it started, so that no other page or person can run programs on this computer.',
  'Go to the terminal where you ran <code>npm start</code> and open the link that starts with <code>Hotpot is running at</code> (it ends with <code>?token=…</code>).',
]);

export const wrongTokenPage = messagePage('This link is from an earlier start of the runner', [
  'The token in this request does not match the one the runner made when it started this time (each start of <code>npm start</code> makes a new one).',
  'Go to the terminal where you ran <code>npm start</code> and open the link it printed, the one that ends with <code>?token=…</code>.',
]);

/** Loopback: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/** The host name of a Host header, lower-cased, without port or brackets; null when there is none or it is malformed. */
export function hostnameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  try {
    const url = new URL(`http://${hostHeader}`);
    if (url.username || url.password || url.pathname !== '/' || url.search) return null;
    return url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}

/**
 * The names the course answers to, against DNS rebinding (as Jupyter's local_hostnames): a page
 * on attacker.example whose name is made to resolve to 127.0.0.1 still sends
 * `Host: attacker.example`, and is refused before the token is even looked at.
 */
export function courseHostAllowed(hostname: string, boundHost: string): boolean {
  return isLoopbackHost(hostname) || hostname === boundHost.toLowerCase().replace(/^\[|\]$/g, '');
}

export const hostRefusedPage = messagePage('This address is not one the runner answers to', [
  'The Hotpot runner only answers requests addressed to <code>localhost</code>, <code>127.0.0.1</code> or <code>[::1]</code> (or the address given with <code>--host</code>), so that a web page whose name points at this computer cannot reach it.',
  'Open the link that <code>npm start</code> printed.',
]);

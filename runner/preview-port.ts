// Previews for visitors on other computers (`--allow-remote` on an address they can reach).
// There a `*.localhost` name would resolve to the visitor's own computer, so each sandbox port
// gets a port of its own instead, on the address the runner listens on: the visitor reaches it
// under the same host name they used for the course, and a distinct port is a distinct origin,
// so the preview's page still cannot read the course's token, call its API or script its page.
//
// A port, unlike the HMAC in a `.localhost` name, can be found by anyone scanning the network,
// so a port alone opens nothing. The address the workbench gets carries a key of that preview
// (an HMAC of the sandbox and port under a secret made at each start, so it is the same for every
// run of that sandbox while the runner runs): http://<host>:<port>/hotpot-preview-key/<key>/...
// The runner turns it into an HttpOnly cookie and redirects to the path without it; from then on
// the cookie is the preview's key. Cookies are per host, not per port, so the cookie's name
// carries the preview's port (`hotpot_preview_<port>`): one preview's cookie never opens another,
// and every one of them is taken off the requests the sandboxes receive.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { cookieValues, tokenEquals } from './auth.ts';

export const PREVIEW_KEY_PREFIX = '/hotpot-preview-key/';
export const PREVIEW_COOKIE_PREFIX = 'hotpot_preview';

export function previewCookieName(port: number): string {
  return `${PREVIEW_COOKIE_PREFIX}_${port}`;
}

/** One sandbox port's own listener. */
export interface PreviewPort {
  sandbox: string;
  /** The manifest's port name. */
  name: string;
  /** The port the runner listens on for it. */
  port: number;
  key: string;
}

export type PreviewAccess =
  /** The key's cookie is there: serve the request (its URL as it is). */
  | { kind: 'ok' }
  /** The key is in the path: set the cookie, then go to `location` (the path without the key). */
  | { kind: 'redirect'; location: string; cookie: string }
  /** The key is in the path of a WebSocket handshake (no redirect there): serve it at `url`. */
  | { kind: 'upgrade'; url: string }
  | { kind: 'missing' }
  | { kind: 'wrong' };

/** Whether a request carries this preview's key (in its path or its cookie). */
export function previewAccess(req: IncomingMessage, preview: PreviewPort, upgrade: boolean): PreviewAccess {
  const url = req.url ?? '/';
  if (url.startsWith(PREVIEW_KEY_PREFIX)) {
    const rest = url.slice(PREVIEW_KEY_PREFIX.length);
    const end = rest.search(/[/?#]|$/);
    if (!tokenEquals(rest.slice(0, end), preview.key)) return { kind: 'wrong' };
    // One leading slash: `//other.example` would send the browser to another site.
    const after = `/${rest.slice(end).replace(/^\/+/, '')}`;
    if (upgrade) return { kind: 'upgrade', url: after };
    return { kind: 'redirect', location: after, cookie: `${previewCookieName(preview.port)}=${preview.key}; HttpOnly; SameSite=Strict; Path=/` };
  }
  // Every value: a page may add a same-named cookie with another path, which is sent first.
  const values = cookieValues(req.headers.cookie, previewCookieName(preview.port));
  let ok = false;
  for (const v of values) ok = tokenEquals(v, preview.key) || ok;
  if (ok) return { kind: 'ok' };
  return values.length ? { kind: 'wrong' } : { kind: 'missing' };
}

export interface PreviewPortsOptions {
  /** The address the runner listens on; every preview port listens there too. */
  host: string;
  /** Ports to use (inclusive), for firewalls; default: any free port the system gives. */
  range?: readonly [number, number];
  onRequest(preview: PreviewPort, req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(preview: PreviewPort, req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export class PreviewPorts {
  #options: PreviewPortsOptions;
  #secret = randomBytes(32);
  #open = new Map<string, Promise<PreviewPort>>();
  #servers: Server[] = [];
  #nextInRange: number;
  #closed = false;

  constructor(options: PreviewPortsOptions) {
    this.#options = options;
    this.#nextInRange = options.range?.[0] ?? 0;
  }

  /** The sandbox port's listener, opened on first use and kept while the runner runs (the address survives Run). */
  open(sandbox: string, name: string): Promise<PreviewPort> {
    const id = `${sandbox}\0${name}`;
    let opening = this.#open.get(id);
    if (!opening) {
      opening = this.#listen(sandbox, name);
      this.#open.set(id, opening);
      // A failure is told to the reader; the next Run tries again.
      opening.catch(() => this.#open.delete(id));
    }
    return opening;
  }

  async #listen(sandbox: string, name: string): Promise<PreviewPort> {
    if (this.#closed) throw new Error('the runner is shutting down');
    const key = createHmac('sha256', this.#secret).update(`${sandbox}\0${name}`).digest('base64url').slice(0, 32);
    const preview: PreviewPort = { sandbox, name, port: 0, key };
    const server = createServer((req, res) => this.#options.onRequest(preview, req, res));
    server.on('upgrade', (req, socket, head) => this.#options.onUpgrade(preview, req, socket, head));
    server.on('clientError', (_e, socket) => socket.destroy());
    const range = this.#options.range;
    for (;;) {
      const port = range ? this.#nextInRange++ : 0;
      if (range && port > range[1])
        throw new Error(`every port from ${range[0]} to ${range[1]} (--preview-ports) is in use; give a wider range`);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, this.#options.host, () => (server.off('error', reject), resolve()));
        });
        break;
      } catch (e) {
        if (!range || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    preview.port = (server.address() as AddressInfo).port;
    this.#servers.push(server);
    if (this.#closed) server.close();
    return preview;
  }

  /** The ports the previews listen on. */
  ports(): number[] {
    return this.#servers.map((s) => (s.address() as AddressInfo | null)?.port ?? 0).filter(Boolean);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.all(
      this.#servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    ).then(() => {});
  }
}

// Each sandbox port gets its own origin, so a sandbox's page never runs with the course's: it
// cannot read the token, call the runner's API or script the course page. The origin is a
// name under `.localhost` (browsers resolve every `*.localhost` name to this computer without
// any DNS set-up) on the runner's own port:
//
//   http://<sandbox>-<port>-<key>.localhost:4321/
//
// The key is an HMAC of the sandbox and port under a secret made at each start of the runner,
// so the address is the same for every run of that sandbox (a preview open in another tab
// survives Run) and cannot be guessed by another page or person.
import { createHmac, randomBytes } from 'node:crypto';

export const PREVIEW_DOMAIN = 'localhost';
/** A DNS label is at most 63 characters. */
const LABEL_MAX = 63;
const KEY_CHARS = 20;

export interface PreviewSite {
  sandbox: string;
  port: string;
}

export class PreviewHosts {
  #secret: Buffer;
  #sites = new Map<string, PreviewSite>();
  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  /** The host name (without port) of a sandbox's port, remembered so requests to it can be routed. */
  hostname(sandbox: string, port: string): string {
    const key = createHmac('sha256', this.#secret).update(`${sandbox}\0${port}`).digest('hex').slice(0, KEY_CHARS);
    const readable = `${sandbox}-${port}`
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, LABEL_MAX - KEY_CHARS - 1)
      .replace(/-+$/, '');
    const label = readable ? `${readable}-${key}` : key;
    this.#sites.set(label, { sandbox, port });
    return `${label}.${PREVIEW_DOMAIN}`;
  }

  /** The sandbox port a host name (lower-cased, without port) names, or null if it is not a preview's. */
  site(hostname: string): PreviewSite | null {
    const suffix = `.${PREVIEW_DOMAIN}`;
    if (!hostname.endsWith(suffix)) return null;
    const label = hostname.slice(0, -suffix.length);
    return this.#sites.get(label) ?? null;
  }

  /** Whether the name looks like a preview's (one label under .localhost), known or not. */
  static looksLikePreview(hostname: string): boolean {
    return /^[a-z0-9-]{1,63}\.localhost$/.test(hostname);
  }
}

// The browser's side of the hub's WebSocket: says hello on every (re)connection, reconnects by
// itself with a growing pause after the hub restarts or the network drops, keeps what was sent
// meanwhile, and stops only when the hub refuses who we are.
import { signal } from '@preact/signals';
import type { HubMessage } from '../../../workshop/schema.ts';

export const WS_PATH = '/api/workshop/ws';
export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'refused' | 'closed';

export function hubSocketUrl(hub: string): string {
  const u = new URL(WS_PATH, hub);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

const MAX_QUEUE = 200;
const PING_MS = 15_000;

export class HubSocket {
  readonly status = signal<SocketStatus>('connecting');
  /** The hub's last complaint, in its words. */
  readonly error = signal('');
  #url: string;
  #hello: () => object;
  #onMessage: (m: HubMessage) => void;
  #ws: WebSocket | null = null;
  #queue: string[] = [];
  #delay = 300;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ping: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(hub: string, hello: () => object, onMessage: (m: HubMessage) => void) {
    this.#url = hubSocketUrl(hub);
    this.#hello = hello;
    this.#onMessage = onMessage;
    this.#connect();
  }

  #connect(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url);
    } catch (e) {
      this.error.value = (e as Error).message;
      return this.#retry();
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#delay = 300;
      this.status.value = 'open';
      ws.send(JSON.stringify(this.#hello()));
      for (const m of this.#queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (e) => {
      let m: HubMessage;
      try {
        m = JSON.parse(String(e.data)) as HubMessage;
      } catch {
        return;
      }
      if (m.type === 'error') {
        this.error.value = m.message;
        if (m.fatal) this.#refused();
      }
      this.#onMessage(m);
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (!this.#closed && this.status.value !== 'refused') this.#retry();
    };
  }

  #refused(): void {
    this.status.value = 'refused';
    this.#closed = true;
    clearInterval(this.#ping);
  }

  #retry(): void {
    this.status.value = 'reconnecting';
    clearTimeout(this.#timer);
    // Jitter, so a room of laptops does not reconnect in one burst after a hub restart.
    this.#timer = setTimeout(() => this.#connect(), this.#delay * (0.75 + Math.random() / 2));
    this.#delay = Math.min(this.#delay * 2, 5000);
  }

  send(message: object): void {
    const text = JSON.stringify(message);
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(text);
    else if (!this.#closed) {
      this.#queue.push(text);
      if (this.#queue.length > MAX_QUEUE) this.#queue.shift();
    }
  }

  /** Keeps the connection (and the attendee's presence) fresh. */
  keepAlive(): void {
    clearInterval(this.#ping);
    this.#ping = setInterval(() => this.#ws?.readyState === WebSocket.OPEN && this.#ws.send('{"type":"ping"}'), PING_MS);
  }

  close(): void {
    this.#closed = true;
    this.status.value = 'closed';
    clearTimeout(this.#timer);
    clearInterval(this.#ping);
    this.#ws?.close();
  }
}

// ---- an attendee's place in a workshop, kept in their browser ---------------------------

export interface Membership {
  /** The hub's origin (the page's own, or another one when the page is served by `npm start`). */
  hub: string;
  workshop: string;
  attendee: string;
  secret: string;
  name: string;
  code: string;
}

const KEY = 'hotpot:workshop:v1';

export const membership = {
  get(): Membership | null {
    try {
      const raw = localStorage.getItem(KEY);
      return raw ? (JSON.parse(raw) as Membership) : null;
    } catch {
      return null;
    }
  },
  set(m: Membership | null): void {
    try {
      if (m) localStorage.setItem(KEY, JSON.stringify(m));
      else localStorage.removeItem(KEY);
    } catch {
      /* private window: the membership lasts this page only */
    }
  },
};

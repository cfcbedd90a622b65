// Shared by the checks. A check talks to the running chat servers the way browsers do: it
// opens real WebSocket connections to chat-a and chat-b, joins rooms, sends and listens.
// It prints progress lines, then ONE last line, the reason the reader sees; it exits 0 on
// pass and 1 on fail, always within its own deadline.
import WebSocket, { WebSocketServer } from 'ws';

// The manifest passes the two instances' ports, and the broker's to the checks that look
// inside it: node checks/<step>.ts <chat-a> <chat-b> [<broker>].
const [portA = '8001', portB = '8002', portBroker = '6379'] = process.argv.slice(2);
export const INSTANCES = { a: Number(portA), b: Number(portB) } as const;
export const BROKER_URL = `redis://127.0.0.1:${Number(portBroker)}`;
export type Instance = keyof typeof INSTANCES;

/** Thrown to fail the check with a reason for the reader. */
export class Fail extends Error {}

export const log = (line: string) => console.log(`  ${line}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A room name no earlier run has used. */
export const freshRoom = (tag: string) => `check-${tag}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;

export interface Event {
  type: string;
  room?: string;
  name?: string;
  text?: string;
  instance?: string;
  /** A chat message's place in the room's history (step 6). */
  id?: string;
}

export interface Closed {
  code: number;
  reason: string;
  at: number;
}

/** One participant: a real WebSocket with everything it received recorded. */
export class Participant {
  readonly events: Event[] = [];
  readonly closed: Promise<Closed>;
  readonly openedAt = Date.now();
  pings = 0;
  #waiters = new Set<() => void>();
  #closedWith: Closed | null = null;

  readonly socket: WebSocket;
  readonly name: string;
  readonly room: string;
  readonly instance: Instance;

  constructor(socket: WebSocket, name: string, room: string, instance: Instance) {
    this.socket = socket;
    this.name = name;
    this.room = room;
    this.instance = instance;
    socket.on('message', (data) => {
      try {
        this.events.push(JSON.parse(data.toString()) as Event);
      } catch {
        this.events.push({ type: 'not-json', text: data.toString().slice(0, 200) });
      }
      this.#waiters.forEach((wake) => wake());
    });
    socket.on('ping', () => this.pings++);
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        this.#closedWith = { code, reason: reason.toString(), at: Date.now() };
        this.#waiters.forEach((wake) => wake());
        resolve(this.#closedWith);
      }),
    );
    socket.on('error', () => {});
  }

  get isClosed() {
    return this.#closedWith !== null;
  }

  get label() {
    return `${this.name} (in #${this.room} on chat-${this.instance})`;
  }

  say(text: string) {
    this.socket.send(JSON.stringify({ type: 'message', text }));
  }

  /** Events of a kind, optionally from one name. */
  seen(type: string, test: (e: Event) => boolean = () => true): Event[] {
    return this.events.filter((e) => e.type === type && test(e));
  }

  /** Waits until an event matching the test has arrived; null if none did within the time. */
  async waitFor(test: (e: Event) => boolean, ms = 2000): Promise<Event | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(test);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.isClosed) return null;
      await new Promise<void>((resolve) => {
        const wake = () => (clearTimeout(timer), this.#waiters.delete(wake), resolve());
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  /** Resolves with how the socket closed, or null if it is still open after ms. */
  async closedWithin(ms: number): Promise<Closed | null> {
    return Promise.race([this.closed, sleep(ms).then(() => null)]);
  }

  leave() {
    this.socket.close(1000, 'bye');
  }
}

const opened = new Set<Participant>();

/**
 * Connects a participant to a room on one instance, as the room page does; with `after`, as
 * the page does when it reconnects: asking for the messages after the last id it showed.
 */
export async function join(instance: Instance, room: string, name: string, options: WebSocket.ClientOptions & { after?: string } = {}): Promise<Participant> {
  const participant = await connect(instance, room, name, options);
  // Wait for the welcome, so the server has finished connect() before the check goes on.
  if (!(await participant.waitFor((e) => e.type === 'welcome', 3000)))
    throw new Fail(`${participant.label} connected but was never welcomed: did connect() fail? Look at chat-${instance}'s terminal.`);
  return participant;
}

/** Opens the WebSocket, as join() does, without waiting for the welcome. */
export async function connect(instance: Instance, room: string, name: string, options: WebSocket.ClientOptions & { after?: string } = {}): Promise<Participant> {
  const { after, ...wsOptions } = options;
  const query = new URLSearchParams({ name, ...(after ? { after } : {}) });
  const url = `ws://127.0.0.1:${INSTANCES[instance]}/ws/chat/${room}?${query}`;
  const socket = new WebSocket(url, { handshakeTimeout: 3000, ...wsOptions });
  // Listening from the start: the welcome can arrive in the same packet as the handshake.
  const participant = new Participant(socket, name, room, instance);
  opened.add(participant);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Fail(`chat-${instance} answered ${res.statusCode} to the WebSocket upgrade on /ws/chat/${room}: is the route in routing.ts?`)));
    socket.once('error', (err) => {
      void clientWorksHere().then((works) =>
        reject(
          new Fail(
            works
              ? `Could not connect to chat-${instance} (${err.message}): is it running? Look at its terminal.`
              : `This runtime's WebSocket client cannot talk even to a server the check starts itself (${err.message}), so this is not your code: some WebContainer versions break a Node ws client talking to a ws server in the same container (webcontainer-core issues 665 and 1880). Run the course with npm start to check this step.`,
          ),
        ),
      );
    });
  });
  return participant;
}

/**
 * Whether a ws client and a ws server in this very process can exchange a message. When a
 * connection to the reader's server fails, this tells a runtime that cannot do WebSockets at
 * all from a server that is down or broken: only the first is not the reader's to fix.
 */
async function clientWorksHere(): Promise<boolean> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  try {
    await new Promise<void>((resolve, reject) => (server.once('listening', resolve), server.once('error', reject)));
    server.on('connection', (ws) => ws.send('echo'));
    const { port } = server.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { handshakeTimeout: 3000 });
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      client.once('message', () => (clearTimeout(timer), client.terminate(), resolve(true)));
      client.once('error', () => (clearTimeout(timer), resolve(false)));
    });
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/**
 * Runs a check: prints its last line and exits 0 or 1, closing every socket it opened (the
 * exit ends whatever else it started, such as a broker connection).
 */
export async function check(run: () => Promise<string>) {
  let code = 1;
  let last: string;
  try {
    last = await run();
    code = 0;
  } catch (err) {
    last = err instanceof Fail ? err.message : `The check itself failed: ${(err as Error)?.stack ?? err}`;
  }
  for (const p of opened) p.socket.terminate();
  console.log(last);
  process.exit(code);
}

// The local runner adapter: the sandbox runs as real processes on the reader's machine,
// driven over one WebSocket to the server that `npm start` runs and that served this page.
import { API_PATH, HEALTH_PATH, ServerMessage, TOKEN_HEADER, type ClientMessage } from '../../../engine/contract.ts';
import { runnerToken } from './token.ts';
import type { CheckResult, RunEvents, RunHandle, RunRequest, SandboxRuntime } from '../types.ts';

/** A runtime if a local runner served this page and answers, otherwise null. */
export async function connectLocal(timeoutMs = 10_000): Promise<SandboxRuntime | null> {
  const token = runnerToken();
  if (!token) return null;
  try {
    const res = await fetch(HEALTH_PATH, { headers: { [TOKEN_HEADER]: token }, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    const body = (await res.json()) as { ok?: boolean };
    return body.ok ? new LocalRuntime(token, location.href) : null;
  } catch {
    return null;
  }
}

/** The runtime over one runner: `base` is any address the runner serves (the page's own). */
export class LocalRuntime implements SandboxRuntime {
  readonly kind = 'local' as const;
  readonly reason = 'local runner';
  #token: string;
  #base: string;
  #sockets = new Set<WebSocket>();
  constructor(token: string, base: string) {
    this.#token = token;
    this.#base = base;
  }

  async run(request: RunRequest, events: RunEvents): Promise<RunHandle> {
    const url = new URL(`${API_PATH}?token=${encodeURIComponent(this.#token)}`, this.#base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.#sockets.add(socket);
    await new Promise<void>((resolve, reject) => {
      const fail = (message: string) => {
        clearTimeout(timer);
        socket.close();
        this.#sockets.delete(socket);
        reject(new Error(message));
      };
      const timer = setTimeout(() => fail('the local runner did not answer within 10 s'), 10_000);
      socket.addEventListener('open', () => (clearTimeout(timer), resolve()), { once: true });
      socket.addEventListener('error', () => fail('could not connect to the local runner'), { once: true });
    });
    const handle = new LocalRun(socket, events, () => this.#sockets.delete(socket));
    handle.send({ type: 'run', sandbox: request.manifest.id, step: request.step, files: request.files, ...(request.inspectorSecret ? { inspectorSecret: request.inspectorSecret } : {}) });
    return handle;
  }

  dispose(): void {
    for (const s of this.#sockets) s.close();
    this.#sockets.clear();
  }
}

type Waiter = { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void; reject: (e: Error) => void };

class LocalRun implements RunHandle {
  #socket: WebSocket;
  #waiters = new Set<Waiter>();
  #closed = false;
  /** The last run state the runner reported; undefined until the first. */
  #state: string | undefined;

  constructor(socket: WebSocket, events: RunEvents, onClose: () => void) {
    this.#socket = socket;
    socket.addEventListener('message', (e) => {
      let message: ServerMessage;
      try {
        const parsed = ServerMessage.safeParse(JSON.parse(String(e.data)));
        if (!parsed.success) return events.error(`The local runner sent a message this page does not understand.`);
        message = parsed.data;
      } catch {
        return events.error('The local runner sent something that is not JSON.');
      }
      switch (message.type) {
        case 'output': events.output(message.process, message.data); break;
        case 'process': events.process(message.process, message.state, message.message); break;
        case 'run': (this.#state = message.state), events.run(message.state, message.message); break;
        case 'port': events.port(message.port, message.url); break;
        case 'error':
          // A refused run (too many runs, a file too large …) gets an error and no run state.
          if (this.#state === undefined) (this.#state = 'failed'), events.run('failed', message.message);
          else events.error(message.message);
          break;
      }
      for (const w of [...this.#waiters]) if (w.match(message)) (this.#waiters.delete(w), w.resolve(message));
    });
    socket.addEventListener('close', (e) => {
      this.#closed = true;
      onClose();
      // 1009: the runner refused a message far over its size cap without reading it.
      const why = e.code === 1009 ? 'The files are too large to send to the local runner: make a file smaller (or remove one) and press Run again.' : 'The connection to the local runner closed.';
      if (this.#state !== 'stopped' && this.#state !== 'failed') events.run(this.#state === undefined && e.code === 1009 ? 'failed' : 'stopped', why);
      for (const w of this.#waiters) w.reject(new Error('the connection to the local runner closed'));
      this.#waiters.clear();
    });
  }

  send(message: ClientMessage): void {
    if (this.#closed) throw new Error('the connection to the local runner is closed');
    this.#socket.send(JSON.stringify(message));
  }

  /** Resolves on the first matching message; rejects on timeout or a closed connection. */
  #next(match: (m: ServerMessage) => boolean, timeoutMs: number, what: string, signal?: AbortSignal): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('the connection to the local runner is closed'));
      const waiter: Waiter = {
        match,
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`${what} took longer than ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      signal?.addEventListener('abort', () => (this.#waiters.delete(waiter), waiter.reject(new Error(`${what} was cancelled`))), { once: true });
      this.#waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    if (this.#closed) return;
    if (this.#state === 'stopped' || this.#state === 'failed') return this.#socket.close();
    const stopped = this.#next((m) => m.type === 'run' && (m.state === 'stopped' || m.state === 'failed'), 15_000, 'stopping');
    this.send({ type: 'stop' });
    await stopped.catch(() => undefined);
    this.#socket.close();
  }

  async kill(process: string): Promise<void> {
    const done = this.#next((m) => m.type === 'process' && m.process === process && (m.state === 'killed' || m.state === 'exited' || m.state === 'failed'), 10_000, `killing ${process}`);
    this.send({ type: 'kill', process });
    await done;
  }

  async restart(process: string): Promise<void> {
    const done = this.#next((m) => m.type === 'process' && m.process === process && (m.state === 'ready' || m.state === 'failed'), 60_000, `restarting ${process}`);
    this.send({ type: 'restart', process });
    await done;
  }

  input(process: string, data: string): void {
    this.send({ type: 'input', process, data });
  }

  async check(step: string, signal?: AbortSignal): Promise<CheckResult> {
    // The check's result, or whatever ends it first: an error, or the run stopping.
    const result = this.#next(
      (m) => (m.type === 'check' && m.step === step) || m.type === 'error' || (m.type === 'run' && (m.state === 'stopped' || m.state === 'failed')),
      150_000,
      'the check',
      signal,
    );
    this.send({ type: 'check', step });
    const m = await result;
    if (m.type === 'check') return { ok: m.ok, reason: m.reason, output: m.output };
    if (m.type === 'error') throw new Error(m.message);
    throw new Error(`the sandbox ${m.type === 'run' ? m.state : 'ended'} before the check finished`);
  }
}

// Readiness probes: a process is ready once its port accepts connections, its HTTP endpoint
// answers below 500, or it prints a matching line. Each probe retries until aborted.
import { request } from 'node:http';
import { connect } from 'node:net';
import type { ReadinessProbe } from '../sandboxes/schema.ts';

/** Loopback addresses tried in order: a sandbox may listen on IPv4, IPv6 or both. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;

const RETRY_MS = 100;
const ATTEMPT_TIMEOUT_MS = 2000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One TCP connection attempt; true if something accepted it. */
export function tryConnect(host: string, port: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('connect');
      if (ok) {
        // Close politely (FIN, then read what comes): a reset can crash a sandbox that does not expect it.
        socket.on('error', () => {});
        socket.resume();
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      } else socket.destroy();
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), ATTEMPT_TIMEOUT_MS);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** One GET attempt; the status, or null if nothing answered. */
export function tryHttp(host: string, port: number, path: string, signal?: AbortSignal): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: ATTEMPT_TIMEOUT_MS, signal, headers: { 'user-agent': 'hotpot-runner-probe' } });
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
      res.destroy();
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(null));
    req.end();
  });
}

/** In words, for messages: `HTTP GET / on port "web"`. */
export function describeProbe(probe: ReadinessProbe): string {
  switch (probe.type) {
    case 'port':
      return `a connection on port "${probe.port}"`;
    case 'http':
      return `HTTP GET ${probe.path} on port "${probe.port}" to answer`;
    case 'log':
      return `a line matching /${probe.pattern}/`;
  }
}

export interface ProbeContext {
  ports: Record<string, number>;
  signal: AbortSignal;
  /** Resolves once the process prints a line matching the pattern (for "log" probes). */
  waitForLine(pattern: RegExp, signal: AbortSignal): Promise<void>;
  /** Told which loopback address answered, so the preview proxy uses the same one. */
  onHost?(port: string, host: string): void;
}

/** Resolves once the probe succeeds; rejects with the signal's reason when aborted. */
export async function waitReady(probe: ReadinessProbe, ctx: ProbeContext): Promise<void> {
  const { signal } = ctx;
  if (probe.type === 'log') {
    let pattern: RegExp;
    try {
      pattern = new RegExp(probe.pattern);
    } catch (e) {
      throw new Error(`the readiness pattern /${probe.pattern}/ is not a valid regular expression: ${(e as Error).message}`);
    }
    return ctx.waitForLine(pattern, signal);
  }
  const port = ctx.ports[probe.port];
  if (port === undefined) throw new Error(`the readiness probe names the undeclared port "${probe.port}"`);
  for (;;) {
    if (signal.aborted) throw signal.reason;
    for (const host of LOOPBACK_HOSTS) {
      const ok =
        probe.type === 'port'
          ? await tryConnect(host, port, signal)
          : ((await tryHttp(host, port, probe.path, signal)) ?? 500) < 500;
      if (signal.aborted) throw signal.reason;
      if (ok) {
        ctx.onHost?.(probe.port, host);
        return;
      }
    }
    await sleep(RETRY_MS, signal);
  }
}

// Readiness probes: a process is ready once its port accepts connections, its HTTP endpoint
// answers a real GET below 500, or it prints a matching line. Each probe retries until
// aborted. The rules live here; each runtime supplies how to knock on a port and how to GET.
import type { ReadinessProbe } from '../sandboxes/schema.ts';
import { describeExit, type ExitInfo } from './outcomes.ts';
import { LineSplitter } from './text.ts';

const RETRY_MS = 100;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
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
  /** Hosts tried in order on each attempt (a local sandbox may listen on IPv4, IPv6 or both). */
  hosts: readonly string[];
  /** One TCP connection attempt: true if something accepted it. */
  connect(host: string, port: number, signal: AbortSignal): Promise<boolean>;
  /** One GET attempt: the status, or null if nothing answered. */
  get(host: string, port: number, path: string, signal: AbortSignal): Promise<number | null>;
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
    for (const host of ctx.hosts) {
      const ok = probe.type === 'port' ? await ctx.connect(host, port, signal) : ((await ctx.get(host, port, probe.path, signal)) ?? 500) < 500;
      if (signal.aborted) throw signal.reason;
      if (ok) {
        ctx.onHost?.(probe.port, host);
        return;
      }
    }
    await sleep(RETRY_MS, signal);
  }
}

/** Waits for lines matching a pattern in a process's output, for "log" probes. */
export class LineWatch {
  #lines = new LineSplitter();
  #waiters = new Set<{ pattern: RegExp; resolve(): void }>();
  /** Feeds output; resolves every waiter whose pattern a complete or pending line matches. */
  feed(text: string): void {
    if (this.#waiters.size === 0) return;
    this.#lines.feed(text, (line) => {
      for (const w of [...this.#waiters]) if (w.pattern.test(line)) (this.#waiters.delete(w), w.resolve());
    });
  }
  wait(pattern: RegExp, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = { pattern, resolve };
      this.#waiters.add(waiter);
      signal.addEventListener('abort', () => (this.#waiters.delete(waiter), reject(signal.reason)), { once: true });
    });
  }
  /** A new launch: no partial line, no waiter of the last one. */
  reset(): void {
    this.#lines.reset();
    this.#waiters.clear();
  }
}

export type ReadyOutcome = 'ready' | 'exited' | 'timeout' | 'aborted' | Error;

/**
 * A launched process's readiness: its probe, raced against its exit and its time limit.
 * `abort` ends the wait early (a kill, a stop); it is aborted once the race is over.
 */
export async function raceReady(
  probe: ReadinessProbe,
  ctx: Omit<ProbeContext, 'signal' | 'waitForLine'>,
  o: { abort: AbortController; lines: LineWatch; exited: Promise<unknown>; timeoutMs: number },
): Promise<ReadyOutcome> {
  const { signal } = o.abort;
  const timer = setTimeout(() => o.abort.abort(new Error('timeout')), o.timeoutMs);
  try {
    return await Promise.race([
      waitReady(probe, { ...ctx, signal, waitForLine: (pattern, s) => o.lines.wait(pattern, s) }).then(() => 'ready' as const),
      o.exited.then(() => 'exited' as const),
    ]);
  } catch (e) {
    return signal.aborted ? ((signal.reason as Error)?.message === 'timeout' ? 'timeout' : 'aborted') : (e as Error);
  } finally {
    clearTimeout(timer);
    if (!signal.aborted) o.abort.abort(new Error('done'));
  }
}

/** Why a process is not ready, in one sentence for the reader. */
export function notReadyReason(name: string, probe: ReadinessProbe, outcome: Exclude<ReadyOutcome, 'ready'>, timeoutMs: number, exit: () => Promise<ExitInfo>): Promise<string> | string {
  if (outcome === 'timeout') return `"${name}" was not ready after ${timeoutMs / 1000} s: it waited for ${describeProbe(probe)}.`;
  if (outcome === 'exited' || outcome === 'aborted') return exit().then((info) => `"${name}" ${describeExit(info)} before it was ready (it waited for ${describeProbe(probe)}).`);
  return `"${name}": ${outcome.message}`;
}

// Which runtime runs the sandbox, and why — decided by testing features, never the user agent.
import type { SandboxManifest } from '../../sandboxes/schema.ts';
import type { RuntimeKind, SandboxRuntime } from './types.ts';

export type Preference = 'auto' | RuntimeKind;

/**
 * How long WebContainer's own boot may take before the page gives up on it (StackBlitz's own
 * test fixtures allow 30 s). Downloading and mounting the dependency snapshot comes after,
 * with its own progress.
 */
export const WEBCONTAINER_BOOT_TIMEOUT_MS = 30_000;
/** sessionStorage key: when a WebContainer boot last failed in this tab. */
export const WEBCONTAINER_FAILED_KEY = 'hotpot:webcontainer-failed-at';
/** After a failed boot, automatic selection skips WebContainer for this long (per tab). */
export const WEBCONTAINER_RETRY_AFTER_MS = 10 * 60_000;

export function preferenceFrom(search: string): { preference: Preference; note?: string } {
  const asked = new URLSearchParams(search).get('runtime');
  if (asked === null || asked === '' || asked === 'auto') return { preference: 'auto' };
  if (asked === 'webcontainer' || asked === 'local') return { preference: asked };
  return { preference: 'auto', note: `?runtime=${asked} is not a runtime (use webcontainer or local); choosing automatically.` };
}

/** Why WebContainer cannot run this sandbox at all, or undefined when it can. */
export function webContainerBlocker(manifest: SandboxManifest): string | undefined {
  const native = manifest.processes.find((p) => p.command[0] !== 'node');
  return native ? `this sandbox starts ${native.command[0]}, which cannot run inside a WebContainer` : undefined;
}

export interface Situation {
  preference: Preference;
  crossOriginIsolated: boolean;
  /** A local runner served this page (its token is in the page): real processes, no download. */
  localRunner?: boolean;
  /** Set when WebContainer cannot run this sandbox. */
  blocker?: string;
  /** Milliseconds since a WebContainer boot last failed in this tab, if it did. */
  failedAgoMs?: number;
}

/** One runtime to try: a short line in plain words for the status line, and the why behind it. */
export interface Option {
  kind: RuntimeKind;
  /** What the reader sees: where the sandbox runs. */
  line: string;
  /** Why, for whoever asks. */
  why: string;
}

const LOCAL_LINE = 'Running on this machine';
const BROWSER_LINE = 'Running in this browser';

/** The runtimes to try, in order. */
export function plan(s: Situation): Option[] {
  const local = (why: string): Option => ({ kind: 'local', line: LOCAL_LINE, why: `Local runner (real processes on this machine): ${why}.` });
  const wc = (why: string): Option => ({ kind: 'webcontainer', line: BROWSER_LINE, why: `WebContainer (Node.js inside this tab): ${why}.` });
  // Under `npm start` the runner that served the page is the better runtime: real processes,
  // nothing to download, and it answers at once. WebContainer stays the fallback.
  const browserToo = s.crossOriginIsolated && !s.blocker;
  if (s.preference === 'local') return [local('as ?runtime=local asks')];
  if (s.preference === 'webcontainer') {
    if (!s.crossOriginIsolated) return [local('?runtime=webcontainer asks for WebContainer, but this page is not cross-origin isolated')];
    return [wc('as ?runtime=webcontainer asks'), local('WebContainer did not start')];
  }
  if (s.localRunner) return [local('the course is served by npm start on this machine'), ...(browserToo ? [wc('the local runner did not answer')] : [])];
  if (!s.crossOriginIsolated) return [local('this page is not cross-origin isolated, so WebContainer cannot start')];
  if (s.blocker) return [local(s.blocker)];
  if (s.failedAgoMs !== undefined && s.failedAgoMs < WEBCONTAINER_RETRY_AFTER_MS)
    return [local(`WebContainer failed to start ${Math.max(1, Math.round(s.failedAgoMs / 60_000))} min ago in this tab; add ?runtime=webcontainer to try again`)];
  return [wc('no local runner serves this page'), local('WebContainer did not start')];
}

/** The other runtime the reader may switch to from this one, where both can run here. */
export function alternative(current: RuntimeKind | null, s: Situation): RuntimeKind | undefined {
  const browser = s.crossOriginIsolated && !s.blocker;
  if (current === 'local') return browser ? 'webcontainer' : undefined;
  if (current === 'webcontainer') return s.localRunner ? 'local' : undefined;
  return browser ? 'webcontainer' : s.localRunner ? 'local' : undefined;
}

export interface Connectors {
  /** Resolves once WebContainer is booted and ready to run; rejects with why it is not. */
  webcontainer(timeoutMs: number): Promise<SandboxRuntime>;
  /** Resolves to null when no local runner answers. */
  local(): Promise<SandboxRuntime | null>;
  onWebContainerFailure?(error: Error): void;
}

export interface Choice {
  runtime: SandboxRuntime | null;
  /** One short line in plain words. */
  line: string;
  /** The full story: what was chosen, what was tried and why it failed. */
  reason: string;
}

const NOWHERE =
  'This sandbox cannot run here. To run it, get the course on your machine: npm install && npm start.';

export async function choose(s: Situation, connect: Connectors, timeoutMs = WEBCONTAINER_BOOT_TIMEOUT_MS): Promise<Choice> {
  const failures: string[] = [];
  const tried: string[] = [];
  for (const option of plan(s)) {
    if (option.kind === 'webcontainer') {
      try {
        const runtime = await connect.webcontainer(timeoutMs);
        return { runtime, line: failures.length ? `${option.line} (the local runner did not answer)` : option.line, reason: option.why };
      } catch (e) {
        connect.onWebContainerFailure?.(e as Error);
        failures.push(`WebContainer: ${(e as Error).message}`);
        tried.push(`${option.why} It did not start: ${(e as Error).message.replace(/\.$/, '')}.`);
      }
    } else {
      const runtime = await connect.local().catch(() => null);
      if (runtime)
        return {
          runtime,
          line: failures.length ? `${option.line} (the in-browser runtime did not start)` : option.line,
          reason: failures.length ? `${option.why} (${failures.join('; ')})` : option.why,
        };
      failures.push('no local runner answers on this site');
      tried.push(`${option.why} But no local runner answers on this site.`);
    }
  }
  return { runtime: null, line: NOWHERE, reason: `${NOWHERE} Tried: ${tried.join(' ')}` };
}

/** Rejects after ms; the wrapped promise keeps running (WebContainer's boot cannot be cancelled). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

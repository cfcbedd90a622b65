// Which runtime runs the sandbox, and why — decided by testing features, never the user agent.
import type { SandboxManifest } from '../../sandboxes/schema.ts';
import type { RuntimeKind, SandboxRuntime } from './types.ts';

export type Preference = 'auto' | RuntimeKind;

export const WEBCONTAINER_BOOT_TIMEOUT_MS = 10_000;
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
  /** Set when WebContainer cannot run this sandbox. */
  blocker?: string;
  /** Milliseconds since a WebContainer boot last failed in this tab, if it did. */
  failedAgoMs?: number;
}

/** The runtimes to try, in order, each with the reason it would be chosen. */
export function plan(s: Situation): { kind: RuntimeKind; reason: string }[] {
  const local = (why: string) => ({ kind: 'local' as const, reason: `Local runner (real processes on this machine): ${why}.` });
  const wc = (why: string) => ({ kind: 'webcontainer' as const, reason: `WebContainer (Node.js inside this tab): ${why}.` });
  if (s.preference === 'local') return [local('as ?runtime=local asks')];
  if (s.preference === 'webcontainer') {
    if (!s.crossOriginIsolated) return [local('?runtime=webcontainer asks for WebContainer, but this page is not cross-origin isolated')];
    return [wc('as ?runtime=webcontainer asks'), local('WebContainer did not start')];
  }
  if (!s.crossOriginIsolated) return [local('this page is not cross-origin isolated, so WebContainer cannot start')];
  if (s.blocker) return [local(s.blocker)];
  if (s.failedAgoMs !== undefined && s.failedAgoMs < WEBCONTAINER_RETRY_AFTER_MS)
    return [local(`WebContainer failed to start ${Math.max(1, Math.round(s.failedAgoMs / 60_000))} min ago in this tab; add ?runtime=webcontainer to try again`)];
  return [wc('it runs everything in the browser'), local('WebContainer did not start')];
}

export interface Connectors {
  webcontainer(timeoutMs: number): Promise<SandboxRuntime>;
  /** Resolves to null when no local runner answers. */
  local(): Promise<SandboxRuntime | null>;
  onWebContainerFailure?(error: Error): void;
}

export type Choice = { runtime: SandboxRuntime; reason: string } | { runtime: null; reason: string };

export async function choose(s: Situation, connect: Connectors, timeoutMs = WEBCONTAINER_BOOT_TIMEOUT_MS): Promise<Choice> {
  const failures: string[] = [];
  for (const option of plan(s)) {
    if (option.kind === 'webcontainer') {
      try {
        return { runtime: await connect.webcontainer(timeoutMs), reason: option.reason };
      } catch (e) {
        connect.onWebContainerFailure?.(e as Error);
        failures.push(`WebContainer: ${(e as Error).message}`);
      }
    } else {
      const runtime = await connect.local().catch(() => null);
      if (runtime) return { runtime, reason: failures.length ? `${option.reason} (${failures.join('; ')})` : option.reason };
      failures.push('no local runner answers on this site');
    }
  }
  return {
    runtime: null,
    reason: `The sandbox cannot run here (${failures.join('; ')}). Run the course on your machine: clone it, then npm install && npm start.`,
  };
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

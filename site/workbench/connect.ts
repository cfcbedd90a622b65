// Chooses and connects the runtime for this page; adapters load only when needed.
import type { SandboxManifest } from '../../sandboxes/schema.ts';
import { runnerToken } from '../runtime/local/token.ts';
import { WEBCONTAINER_FAILED_KEY, alternative, choose, plan, preferenceFrom, webContainerBlocker, type Choice, type Preference, type Situation } from '../runtime/select.ts';
import type { RuntimeKind } from '../runtime/types.ts';

export interface Connection extends Choice {
  /** The other runtime the reader may switch to, where both can run here. */
  alternative?: RuntimeKind;
}

export interface ConnectRequest {
  /** The reader's own choice (a switch in the workbench); otherwise ?runtime= or automatic. */
  preference?: Preference;
  /** Boot progress, one plain line at a time ("Starting Node.js in your browser…"). */
  onProgress?(line: string): void;
}

/** Whether this page's first choice is the local runner that served it: connecting then costs
 *  one local request and nothing else, so the workbench does it on load and Run starts at once.
 *  A WebContainer boot (hundreds of KB, a Node in the tab) waits for the reader instead. */
export function connectsLocallyFirst(manifest: SandboxManifest): boolean {
  const situation: Situation = {
    preference: preferenceFrom(location.search).preference,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    localRunner: runnerToken() !== null,
    blocker: webContainerBlocker(manifest),
  };
  return plan(situation)[0]?.kind === 'local' && situation.localRunner === true;
}

export async function connectRuntime(manifest: SandboxManifest, ask: ConnectRequest = {}): Promise<Connection> {
  const fromUrl = preferenceFrom(location.search);
  const preference = ask.preference ?? fromUrl.preference;
  const note = ask.preference ? undefined : fromUrl.note;
  const wc = () => import('../runtime/webcontainer/index.ts');
  let failedAgoMs: number | undefined;
  try {
    const at = Number(sessionStorage.getItem(WEBCONTAINER_FAILED_KEY));
    failedAgoMs = at > 0 ? Date.now() - at : undefined;
  } catch {
    /* no session storage: try WebContainer every time */
  }
  const situation: Situation = {
    preference,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    localRunner: runnerToken() !== null,
    blocker: webContainerBlocker(manifest),
    failedAgoMs,
  };
  const choice = await choose(situation, {
    webcontainer: async (timeoutMs) => (await wc()).connectWebContainer({ timeoutMs, onProgress: ask.onProgress, consent: ask.preference === 'webcontainer' }),
    local: async () => (await import('../runtime/local/index.ts')).connectLocal(),
    onWebContainerFailure: (error) => {
      if (error.name === 'BootHeldBack') return; // not a failure: it waits for the reader's word
      try {
        sessionStorage.setItem(WEBCONTAINER_FAILED_KEY, String(Date.now()));
      } catch {
        /* not kept: the next page load tries again */
      }
    },
  });
  const result: Connection = { ...choice, alternative: alternative(choice.runtime?.kind ?? null, situation) };
  return note ? { ...result, reason: `${note} ${result.reason}` } : result;
}

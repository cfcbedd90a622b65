// Chooses and connects the runtime for this page; adapters load only when needed.
import type { SandboxManifest } from '../../sandboxes/schema.ts';
import { choose, preferenceFrom, webContainerBlocker } from '../runtime/select.ts';

export async function connectRuntime(manifest: SandboxManifest) {
  const { preference, note } = preferenceFrom(location.search);
  const wc = () => import('../runtime/webcontainer/index.ts');
  let failedAgoMs: number | undefined;
  try {
    const at = Number(sessionStorage.getItem('hotpot:webcontainer-failed-at'));
    failedAgoMs = at > 0 ? Date.now() - at : undefined;
  } catch {
    /* no session storage: try WebContainer every time */
  }
  const choice = await choose(
    { preference, crossOriginIsolated: globalThis.crossOriginIsolated === true, blocker: webContainerBlocker(manifest), failedAgoMs },
    {
      webcontainer: async (timeoutMs) => (await wc()).connectWebContainer(timeoutMs),
      local: async () => (await import('../runtime/local/index.ts')).connectLocal(),
      onWebContainerFailure: () => void wc().then((m) => m.recordWebContainerFailure()).catch(() => undefined),
    },
  );
  return note ? { ...choice, reason: `${note} ${choice.reason}` } : choice;
}

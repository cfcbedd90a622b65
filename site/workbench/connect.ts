// Chooses and connects the runtime for this page; adapters load only when needed.
import type { SandboxManifest } from '../../sandboxes/schema.ts';
import { WEBCONTAINER_FAILED_KEY, choose, preferenceFrom, webContainerBlocker } from '../runtime/select.ts';

export async function connectRuntime(manifest: SandboxManifest) {
  const { preference, note } = preferenceFrom(location.search);
  const wc = () => import('../runtime/webcontainer/index.ts');
  let failedAgoMs: number | undefined;
  try {
    const at = Number(sessionStorage.getItem(WEBCONTAINER_FAILED_KEY));
    failedAgoMs = at > 0 ? Date.now() - at : undefined;
  } catch {
    /* no session storage: try WebContainer every time */
  }
  const choice = await choose(
    { preference, crossOriginIsolated: globalThis.crossOriginIsolated === true, blocker: webContainerBlocker(manifest), failedAgoMs },
    {
      webcontainer: async (timeoutMs) => (await wc()).connectWebContainer(timeoutMs),
      local: async () => (await import('../runtime/local/index.ts')).connectLocal(),
      onWebContainerFailure: () => {
        try {
          sessionStorage.setItem(WEBCONTAINER_FAILED_KEY, String(Date.now()));
        } catch {
          /* not kept: the next page load tries again */
        }
      },
    },
  );
  return note ? { ...choice, reason: `${note} ${choice.reason}` } : choice;
}

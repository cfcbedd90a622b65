// The sandbox's web page, as served by the running web process.
import { useRef } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';

export function Preview({ model }: { model: WorkbenchModel }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const url = model.previewUrl.value;
  const state = model.runState.value;
  return (
    <div class="hp-preview">
      <div class="hp-preview-bar">
        <span class="hp-preview-url" title={url}>{url ? new URL(url).pathname.replace(/^\/preview\/[^/]+\/[^/]+/, '') || '/' : 'not running'}</span>
        <button class="hp-small" disabled={!url} onClick={() => frame.current && (frame.current.src = url)} aria-label="Reload preview">
          Reload
        </button>
        <a class="hp-small" href={url || undefined} target="_blank" rel="noopener" aria-disabled={!url}>
          Open in new tab
        </a>
      </div>
      {url ? (
        <iframe ref={frame} src={url} title="Sandbox preview" class="hp-preview-frame" />
      ) : (
        <p class="hp-placeholder">{state === 'starting' ? 'Starting… the page appears when the web server is ready.' : 'Press Run to see the sandbox’s page here.'}</p>
      )}
    </div>
  );
}

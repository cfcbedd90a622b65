// The sandbox's web page, as served by the running web process; two pages side by side when
// the manifest asks for it (two instances of one server, say).
import { useRef } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';

/** One page. In a split preview (label given) the bar is compact: icons, with names for screen readers. */
function Pane({ url, label, placeholder }: { url: string; label?: string; placeholder: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  // Shown without the runner's own prefixes: a run's folder, or a preview's key (runner/preview-port.ts), which the runner takes off the address anyway.
  const path = url ? new URL(url).pathname.replace(/^\/preview\/[^/]+\/[^/]+|^\/hotpot-preview-key\/[^/]+/, '') + new URL(url).search || '/' : 'not running';
  return (
    <div class="hp-preview-pane" data-port={label}>
      <div class="hp-preview-bar">
        {label && <span class="hp-preview-label">{label}</span>}
        <span class="hp-preview-url" title={path}>
          {path}
        </span>
        <button
          class="hp-small"
          disabled={!url}
          onClick={() => frame.current && (frame.current.src = url)}
          aria-label={label ? `Reload ${label}` : 'Reload preview'}
          title="Reload"
        >
          {label ? '⟳' : 'Reload'}
        </button>
        {/* A link only once there is a page to open; before that, a disabled control like Reload. */}
        {url ? (
          <a class="hp-small" href={url} target="_blank" rel="noopener" aria-label={label ? `Open ${label} in a new tab` : undefined} title="Open in new tab">
            {label ? '↗' : 'Open in new tab'}
          </a>
        ) : (
          <button class="hp-small" disabled aria-label={label ? `Open ${label} in a new tab` : undefined} title="Open in new tab">
            {label ? '↗' : 'Open in new tab'}
          </button>
        )}
      </div>
      {url ? (
        <iframe
          ref={frame}
          src={url}
          title={label ? `Sandbox preview: ${label}` : 'Sandbox preview'}
          class="hp-preview-frame"
          // Its own origin: scripts, forms and its own storage, never the course's window or the top of the tab.
          sandbox="allow-scripts allow-same-origin allow-forms"
        />
      ) : (
        <p class="hp-placeholder">{placeholder}</p>
      )}
    </div>
  );
}

export function Preview({ model }: { model: WorkbenchModel }) {
  const preview = model.data.manifest.preview;
  const placeholder =
    model.runState.value === 'starting' ? 'Starting… the page appears when the web server is ready.' : 'Press Run to see the sandbox’s page here.';
  if (!preview?.beside)
    return (
      <div class="hp-preview">
        <Pane url={model.previewUrl.value} placeholder={placeholder} />
      </div>
    );
  return (
    <div class="hp-preview">
      <div class="hp-preview-split">
        <Pane url={model.previewUrl.value} label={preview.port} placeholder={placeholder} />
        <Pane url={model.besideUrl.value} label={preview.beside.port} placeholder={placeholder} />
      </div>
    </div>
  );
}

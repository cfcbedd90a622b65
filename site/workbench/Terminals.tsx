// One terminal tab per sandbox process (xterm.js, loaded on demand; ANSI colours kept),
// with the process's state and, where the manifest allows, Kill and Restart (always in reach).
import { useEffect, useRef } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';
import { onTabListKey, rovingTabIndex } from './tabs.ts';

const STATE_LABEL: Record<string, string> = {
  waiting: 'waiting',
  starting: 'starting',
  ready: 'running',
  exited: 'exited',
  killed: 'killed',
  failed: 'failed',
};

export function Terminals({ model }: { model: WorkbenchModel }) {
  const { processes: defs } = model.data.manifest;
  const active = model.activeTerminal.value;
  const states = model.processes.value;
  const killable = defs.filter((p) => p.killable);
  return (
    <div class="hp-terminals">
      <div class="hp-tabs" role="tablist" aria-label="Processes" onKeyDown={onTabListKey}>
        {defs.map((p) => {
          const st = states[p.name]?.state;
          return (
            <button
              role="tab"
              id={`hp-term-tab-${p.name}`}
              aria-selected={active === p.name}
              tabIndex={rovingTabIndex(active === p.name)}
              aria-controls={`hp-term-${p.name}`}
              title={p.description || p.command.join(' ')}
              class="hp-tab"
              onClick={() => (model.activeTerminal.value = p.name)}
            >
              <span class={`hp-dot hp-dot-${st ?? 'idle'}`} aria-hidden="true" />
              {p.name}
              {st && <span class="hp-state"> · {STATE_LABEL[st]}</span>}
            </button>
          );
        })}
      </div>
      {defs.filter((p) => p.name === active).map((p) => (
        <div class="hp-process-bar">
          <code class="hp-command" title={p.description}>{p.command.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}</code>
          {states[p.name]?.detail && <span class="hp-muted hp-process-detail">{states[p.name]!.detail}</span>}
          {/* Kill and Restart for every killable process, whichever terminal is shown: the
              reader kills the worker while watching the web server's log. */}
          {killable.length > 0 && (
            <span class="hp-process-actions" role="group" aria-label="Process controls">
              {killable.map((k) => {
                const kst = states[k.name]?.state;
                const alive = kst === 'ready' || kst === 'starting';
                return (
                  <span class="hp-process-pair" key={k.name}>
                    <button class="hp-small" disabled={!alive} onClick={() => void model.kill(k.name)}>
                      Kill {k.name}
                    </button>
                    <button class="hp-small" disabled={!model.running.value || alive} onClick={() => void model.restart(k.name)}>
                      Restart {k.name}
                    </button>
                  </span>
                );
              })}
            </span>
          )}
        </div>
      ))}
      {defs.map((p) => (
        <Terminal key={p.name} model={model} process={p.name} hidden={active !== p.name} />
      ))}
    </div>
  );
}

const hint = (process: string) => `Press Run to start ${process}; its output appears here.`;

function Terminal({ model, process, hidden }: { model: WorkbenchModel; process: string; hidden: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const fitRef = useRef<(() => void) | null>(null);
  const engaged = model.engaged.value;

  useEffect(() => {
    if (!engaged || !host.current) return;
    let disposed = false;
    let cleanup = () => {};
    void Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]).then(([{ Terminal }, { FitAddon }]) => {
      if (disposed || !host.current) return;
      const term = new Terminal({ convertEol: true, fontSize: 12, scrollback: 5000, theme: { background: '#1e1e1e' }, fontFamily: 'ui-monospace, DejaVu Sans Mono, monospace' });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host.current);
      fitRef.current = () => {
        try {
          fit.fit();
        } catch {
          /* hidden: no size yet */
        }
      };
      fitRef.current();
      // Before any run the terminal still says what it is for (Run clears it with the rest). Not
      // once a run has begun: the terminal may open (Run engages the workbench) before any output.
      const idle = model.runState.value === 'idle' && !model.output(process);
      term.write(idle ? `\x1b[2m${hint(process).replace('; ', ';\r\n')}\x1b[0m\r\n` : model.output(process));
      const off = model.onOutput((p, data) => {
        if (p === '*') term.reset();
        else if (p === process) term.write(data);
      });
      term.onData((data) => model.input(process, data));
      const resize = new ResizeObserver(() => fitRef.current?.());
      resize.observe(host.current);
      cleanup = () => (off(), resize.disconnect(), term.dispose());
    });
    return () => {
      disposed = true;
      cleanup();
    };
  }, [engaged]);

  useEffect(() => {
    if (!hidden) fitRef.current?.();
  }, [hidden]);

  return (
    <div role="tabpanel" id={`hp-term-${process}`} aria-labelledby={`hp-term-tab-${process}`} class="hp-terminal" hidden={hidden} data-process={process}>
      <div class="hp-terminal-host" ref={host} />
      {!engaged && <p class="hp-placeholder">{hint(process)}</p>}
    </div>
  );
}

// The workbench: files, editor, one terminal per process, the preview, and the
// Run / Stop / Reset / Solution / Check controls for the lesson's current step.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { connectRuntime, connectsLocallyFirst } from './connect.ts';
import { Editor } from './Editor.tsx';
import { FileTree } from './FileTree.tsx';
import { WorkbenchModel, type WorkbenchData } from './model.ts';
import { BrokerPanel } from './BrokerPanel.tsx';
import { Preview } from './Preview.tsx';
import { Solution } from './Solution.tsx';
import { Terminals } from './Terminals.tsx';
import { Keys, shortcutFor } from './Keys.tsx';
import { Instructions } from './Instructions.tsx';
import { storage } from './storage.ts';
import { onTabListKey, rovingTabIndex } from './tabs.ts';
import './workbench.css';

type Pane = 'code' | 'terminal' | 'preview';
const PANE_NAMES: Record<Pane, string> = { code: 'the editor', terminal: 'the terminals', preview: 'the preview' };
const NARROW = '(max-width: 900px)';

export default function Workbench({ data }: { data: WorkbenchData }) {
  const model = useMemo(() => new WorkbenchModel(data, (ask) => connectRuntime(data.manifest, ask)), []);
  const [narrow, setNarrow] = useState(false);
  const [pane, setPane] = useState<Pane>('code');
  const [side, setSide] = useState<'preview' | 'broker'>('preview');
  /** One pane given the whole workbench (wide screens), or none. */
  const [maximised, setMaximised] = useState<Pane | null>(null);
  /** The workbench takes the whole window; the lesson folds away (its step stays under Instructions). */
  const [focus, setFocus] = useState(false);
  const [instructionsOpen, setInstructionsOpen] = useState(false);
  /** On a phone the file list is a drawer over the editor, so the code gets the whole width. */
  const [filesOpen, setFilesOpen] = useState(false);
  // Until hydration the controls have no handlers: keep them disabled so no click is lost.
  const [mounted, setMounted] = useState(false);
  const root = useRef<HTMLElement>(null);

  // Before paint, so the lesson folds away in the same frame as the button's label changes.
  // The first run restores the reader's choice instead of saving the server-rendered default.
  const focusRestored = useRef(false);
  useLayoutEffect(() => {
    if (!focusRestored.current) {
      focusRestored.current = true;
      if (storage.focus()) {
        setFocus(true);
        return;
      }
    }
    document.documentElement.classList.toggle('hp-focus', focus);
    storage.saveFocus(focus);
  }, [focus]);

  useEffect(() => {
    model.restore();
    setMounted(true);
    if (connectsLocallyFirst(data.manifest)) void model.runtime();
    const mq = matchMedia(NARROW);
    const update = () => setNarrow(mq.matches);
    update();
    mq.addEventListener('change', update);
    // Stop the sandbox when the reader leaves; the runner also stops it when the socket drops.
    const leave = () => model.dispose();
    addEventListener('pagehide', leave);
    (globalThis as { __hotpot?: WorkbenchModel }).__hotpot = model;
    // "Open step N in the workbench" buttons in the lesson's prose: one pressed before the
    // workbench hydrated left its step with the page's script ([slug].astro).
    const g = globalThis as { __hotpotOpenStep?: string };
    const pending = data.steps.findIndex((s) => s.id === g.__hotpotOpenStep);
    delete g.__hotpotOpenStep;
    if (pending >= 0) (model.engage(), model.selectStep(pending));
    const open = (e: MouseEvent) => {
      const id = (e.target as HTMLElement).closest<HTMLElement>('[data-open-step]')?.dataset.openStep;
      const index = data.steps.findIndex((s) => s.id === id);
      if (index >= 0) (model.engage(), model.selectStep(index));
    };
    document.addEventListener('click', open);
    // Run, Stop and Check from anywhere on the page, the editor included (capture: before Monaco).
    const keys = (e: KeyboardEvent) => {
      const action = shortcutFor(e);
      if (!action) return;
      e.preventDefault();
      e.stopPropagation();
      if (action === 'help') model.keysOpen.value = true;
      else if (action === 'run') void model.run();
      else if (action === 'stop') void model.stop();
      else if (action === 'check' && model.check.value.state !== 'running') void model.runCheck();
      else if (action === 'focus') setFocus((f) => !f);
    };
    addEventListener('keydown', keys, true);
    return () => (mq.removeEventListener('change', update), removeEventListener('pagehide', leave), document.removeEventListener('click', open), removeEventListener('keydown', keys, true));
  }, []);

  // Resizable panes on wide screens (split.js); tabs on narrow ones.
  useEffect(() => {
    if (narrow || !root.current) return;
    let instances: { destroy(): void }[] = [];
    let cancelled = false;
    void import('split.js').then(({ default: Split }) => {
      const q = (s: string) => root.current!.querySelector<HTMLElement>(s)!;
      if (cancelled) return;
      // Flex layout: split.js sizes panes through flex-basis rather than width/height.
      const gutter = {
        gutterSize: 6,
        snapOffset: 0,
        elementStyle: (_d: string, size: number, g: number) => ({ 'flex-basis': `calc(${size}% - ${g}px)` }),
        gutterStyle: (_d: string, g: number) => ({ 'flex-basis': `${g}px` }),
      };
      // Each split starts where the reader left it (the defaults match the CSS, so the first
      // layout does not move when split.js takes over).
      const remembered = (name: string, sizes: number[]) => {
        const saved = storage.sizes(name);
        return {
          sizes: saved?.length === sizes.length && saved.every((n) => n > 0 && n < 100) ? saved : sizes,
          onDragEnd: (now: number[]) => storage.saveSizes(name, now),
        };
      };
      instances = [
        Split([q('.hp-pane-code'), q('.hp-pane-bottom')], { ...gutter, direction: 'vertical', ...remembered('code-bottom', [55, 45]), minSize: [120, 100] }),
        Split([q('.hp-filetree-wrap'), q('.hp-editor-wrap')], { ...gutter, ...remembered('files-editor', [22, 78]), minSize: [90, 200] }),
        Split([q('.hp-pane-terminal'), q('.hp-pane-preview')], { ...gutter, ...remembered('terminal-preview', [50, 50]), minSize: [160, 160] }),
      ];
    });
    return () => {
      cancelled = true;
      instances.forEach((s) => s.destroy());
    };
  }, [narrow]);

  const step = model.step.value;
  const showStep = (index: number) => {
    model.selectStep(index);
    // Bring the step's instructions into view beside the workbench.
    document.querySelector(`[data-step="${model.step.value.id}"]`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };
  const runState = model.runState.value;
  const check = model.check.value;
  const passed = model.passed.value;
  const engage = () => model.engage();
  const hiddenUnless = (p: Pane) => (narrow && pane !== p ? true : undefined);
  const maxButton = (p: Pane) =>
    !narrow && (
      <button
        class="hp-max"
        aria-pressed={maximised === p}
        aria-label={maximised === p ? `Restore the panes` : `Maximise ${PANE_NAMES[p]}`}
        title={maximised === p ? 'Restore the panes' : `Maximise ${PANE_NAMES[p]}`}
        onClick={() => setMaximised(maximised === p ? null : p)}
      >
        {maximised === p ? '⤡' : '⤢'}
      </button>
    );

  return (
    <section
      ref={root}
      class="hp-workbench"
      id="workbench"
      tabIndex={-1}
      data-narrow={narrow ? 'true' : 'false'}
      data-run-state={runState}
      aria-label="Workbench"
      onPointerDown={engage}
      onFocusIn={engage}
    >
      <fieldset class="hp-controls" disabled={!mounted}>
        <div class="hp-toolbar">
          <label class="hp-step-select">
            <span>Step</span>
            <select
              value={String(model.stepIndex.value)}
              onChange={(e) => showStep(Number((e.target as HTMLSelectElement).value))}
            >
              {data.steps.map((s, i) => (
                <option value={String(i)}>
                  {i + 1}. {s.title}
                  {passed[s.id] ? ' ✓' : ''}
                </option>
              ))}
            </select>
          </label>
          <div class="hp-actions" role="group" aria-label="Sandbox controls">
            <button class="hp-button hp-primary" onClick={() => void model.run()} disabled={runState === 'stopping'} title="Run (Alt+Shift+R)" aria-keyshortcuts="Alt+Shift+R">
              Run
            </button>
            <button class="hp-button" onClick={() => void model.stop()} disabled={!model.running.value} title="Stop (Alt+Shift+S)" aria-keyshortcuts="Alt+Shift+S">
              Stop
            </button>
            <button class="hp-button" onClick={() => model.reset()} disabled={!model.ready} title="Restore this step's starting files">
              Reset
            </button>
            <button class="hp-button" onClick={() => (model.solutionOpen.value = true)} disabled={!model.ready} title="Show this step's reference solution">
              Solution
            </button>
            <button class="hp-button" onClick={() => void model.runCheck()} disabled={check.state === 'running' || runState === 'stopping'} title="Check this step (Alt+Shift+C)" aria-keyshortcuts="Alt+Shift+C">
              Check
            </button>
          </div>
        </div>
        <div class="hp-status" data-runtime={model.runtimeKind.value}>
          <span class="hp-runtime" data-testid="runtime-line">{model.runtimeLine.value}</span>
          {model.runtimeDetail.value && (
            <details class="hp-runtime-detail">
              <summary>Why?</summary>
              <span data-testid="runtime-detail">{model.runtimeDetail.value}</span>
            </details>
          )}
          {model.runtimeAlternative.value && (
            <button class="hp-link-button" data-testid="switch-runtime" onClick={() => void model.switchRuntime(model.runtimeAlternative.value!)}>
              {model.runtimeAlternative.value === 'webcontainer' ? 'Run in this browser' : 'Run on this machine'}
            </button>
          )}
          {/* Beside the lesson the step's instructions are in view already: the button is for
              phones and focus mode, and without it the line fits one row at 1440 px. */}
          {(narrow || focus) && (
            <button class="hp-link-button" aria-haspopup="dialog" onClick={() => setInstructionsOpen(true)}>
              Step {model.stepIndex.value + 1} instructions
            </button>
          )}
          <button class="hp-link-button" aria-pressed={focus} aria-keyshortcuts="Alt+Shift+F" title="Give the workbench the whole window (Alt+Shift+F)" onClick={() => setFocus(!focus)}>
            {focus ? 'Show the lesson' : 'Hide the lesson'}
          </button>
          <button class="hp-link-button" data-testid="keys" aria-haspopup="dialog" aria-keyshortcuts="Shift+?" onClick={() => (model.keysOpen.value = true)}>
            Keyboard
          </button>
          <span class="hp-run-state" role="status">
            {runState === 'idle' ? 'Sandbox not started' : `Sandbox ${runState}`}
          </span>
        </div>
        {runState === 'failed' && model.runMessage.value && (
          <p class="hp-errors" role="alert" data-testid="run-failure">
            The sandbox stopped: {model.runMessage.value}
          </p>
        )}
        <RunNotice model={model} />
        <UndoNotice model={model} />
        <CheckBanner model={model} onNext={showStep} />
        {model.errors.value.length > 0 && (
          <div class="hp-errors" role="alert">
            {model.errors.value.map((e) => (
              <p>{e}</p>
            ))}
            <button class="hp-small" onClick={() => model.dismissErrors()}>Dismiss</button>
          </div>
        )}
        {narrow && (
          <div class="hp-tabs hp-pane-tabs" role="tablist" aria-label="Workbench panes" onKeyDown={onTabListKey}>
            {(['code', 'terminal', 'preview'] as const).map((p) => (
              <button role="tab" class="hp-tab" aria-selected={pane === p} aria-controls={`hp-pane-${p}`} tabIndex={rovingTabIndex(pane === p)} onClick={() => setPane(p)}>
                {p === 'code' ? 'Code' : p === 'terminal' ? 'Terminal' : 'Preview'}
              </button>
            ))}
          </div>
        )}
        <div class="hp-panes" data-max={maximised ?? undefined}>
          <div class="hp-pane-code" id="hp-pane-code" role={narrow ? 'tabpanel' : undefined} hidden={hiddenUnless('code')}>
            <div
              class="hp-filetree-wrap"
              id="hp-filetree"
              hidden={narrow && !filesOpen ? true : undefined}
              onClick={(e) => narrow && (e.target as Element).closest('.hp-file') && setFilesOpen(false)}
              onKeyDown={(e) => narrow && e.key === 'Escape' && (setFilesOpen(false), root.current?.querySelector<HTMLElement>('.hp-files-toggle')?.focus())}
            >
              <FileTree model={model} />
            </div>
            <div class="hp-editor-wrap">
              <div class="hp-editor-title">
                {narrow ? (
                  <button class="hp-files-toggle hp-editor-path" aria-expanded={filesOpen} aria-controls="hp-filetree" onClick={() => setFilesOpen(!filesOpen)} onKeyDown={(e) => e.key === 'Escape' && setFilesOpen(false)}>
                    <span aria-hidden="true">{filesOpen ? '▴' : '▾'} </span>
                    {model.activeFile.value}
                    {model.changed.value.has(model.activeFile.value) && <span class="hp-muted"> (edited)</span>}
                    <span class="visually-hidden"> — files</span>
                  </button>
                ) : (
                  <span class="hp-editor-path">
                    {model.activeFile.value}
                    {model.changed.value.has(model.activeFile.value) && <span class="hp-muted"> (edited)</span>}
                  </span>
                )}
                {maxButton('code')}
                <button
                  class="hp-tab-mode"
                  aria-pressed={model.tabMovesFocus.value}
                  aria-keyshortcuts="Control+M"
                  title="Ctrl+M in the editor switches this"
                  onClick={() => (model.tabMovesFocus.value = !model.tabMovesFocus.value)}
                >
                  {model.tabMovesFocus.value ? 'Tab moves focus' : 'Tab indents'} <kbd>Ctrl+M</kbd>
                </button>
              </div>
              <Editor model={model} />
            </div>
          </div>
          <div class="hp-pane-bottom" hidden={narrow && pane === 'code' ? true : undefined}>
            <div class="hp-pane-terminal" id="hp-pane-terminal" role={narrow ? 'tabpanel' : undefined} hidden={hiddenUnless('terminal')}>
              {maxButton('terminal')}
              <Terminals model={model} />
            </div>
            <div class="hp-pane-preview" id="hp-pane-preview" role={narrow ? 'tabpanel' : undefined} hidden={hiddenUnless('preview')}>
              {maxButton('preview')}
              {data.manifest.inspector && (
                <div class="hp-tabs" role="tablist" aria-label="Page or broker" onKeyDown={onTabListKey}>
                  {(['preview', 'broker'] as const).map((t) => (
                    <button role="tab" class="hp-tab" id={`hp-side-tab-${t}`} aria-controls={`hp-side-${t}`} aria-selected={side === t} tabIndex={rovingTabIndex(side === t)} onClick={() => setSide(t)}>
                      {t === 'preview' ? 'Preview' : 'Broker'}
                    </button>
                  ))}
                </div>
              )}
              <div class="hp-side" id="hp-side-preview" role={data.manifest.inspector ? 'tabpanel' : undefined} aria-labelledby={data.manifest.inspector ? 'hp-side-tab-preview' : undefined} hidden={side !== 'preview'}>
                <Preview model={model} />
              </div>
              {data.manifest.inspector && (
                <div class="hp-side" id="hp-side-broker" role="tabpanel" aria-labelledby="hp-side-tab-broker" hidden={side !== 'broker'}>
                  <BrokerPanel model={model} visible={side === 'broker' && (!narrow || pane === 'preview')} />
                </div>
              )}
            </div>
          </div>
        </div>
        <Solution model={model} />
        <Keys model={model} />
        <Instructions step={step.id} number={model.stepIndex.value + 1} open={instructionsOpen} onClose={() => setInstructionsOpen(false)} />
        <p class="visually-hidden">Step {model.stepIndex.value + 1}: {step.title}</p>
      </fieldset>
    </section>
  );
}

/** Says when what runs is not what the reader sees: another step's code, or files edited since Run. */
function RunNotice({ model }: { model: WorkbenchModel }) {
  const other = model.runningOtherStep.value;
  const here = model.stepIndex.value + 1;
  if (other >= 0)
    return (
      <p class="hp-notice" role="status" data-testid="run-notice" data-notice="other-step">
        The sandbox is still running step {other + 1}'s code ({model.data.steps[other]!.title}), not step {here}'s.{' '}
        <button class="hp-link-button" onClick={() => void model.run()}>Restart with step {here}</button>
      </p>
    );
  if (model.runningOldFiles.value)
    return (
      <p class="hp-notice" role="status" data-testid="run-notice" data-notice="edited">
        You changed files since Run: the sandbox still runs the earlier version.{' '}
        <button class="hp-link-button" onClick={() => void model.run()}>Restart with your changes</button>
      </p>
    );
  return null;
}

/** Reset and Apply solution replace the reader's files: offered back until the next one or another step. */
function UndoNotice({ model }: { model: WorkbenchModel }) {
  const undo = model.undo.value;
  if (!undo || undo.step !== model.step.value.id) return null;
  return (
    <p class="hp-notice" role="status" data-testid="undo-notice">
      {undo.what === 'reset' ? "Your files were reset to this step's start." : 'The solution replaced your files.'}{' '}
      <button class="hp-link-button" onClick={() => model.undoReplace()}>{undo.what === 'reset' ? 'Undo reset' : 'Undo solution'}</button>{' '}
      <button class="hp-link-button" aria-label="Dismiss" onClick={() => (model.undo.value = null)}>✕</button>
    </p>
  );
}

function CheckBanner({ model, onNext }: { model: WorkbenchModel; onNext: (index: number) => void }) {
  const check = model.check.value;
  const next = model.stepIndex.value + 1;
  const nextStep = model.data.steps[next];
  if (check.state === 'idle') return null;
  if (check.state === 'running') return <p class="hp-check hp-check-running" role="status">Checking…</p>;
  if (check.state === 'error') return <p class="hp-check hp-check-fail" role="status" data-check="error">Check could not run: {check.message}</p>;
  const { ok, reason, output } = check.result;
  return (
    <div class={`hp-check ${ok ? 'hp-check-pass' : 'hp-check-fail'}`} role="status" data-check={ok ? 'pass' : 'fail'}>
      <strong>{ok ? '✓ Passed' : '✗ Not yet'}</strong>: <span class="hp-check-reason">{reason}</span>
      {ok && nextStep && (
        <>
          {' '}
          <button class="hp-button hp-primary hp-next" onClick={() => onNext(next)}>
            Next step: {next + 1}. {nextStep.title}
          </button>
        </>
      )}
      {ok && !nextStep && <> That was the lesson's last step.</>}
      {output.trim() && (
        <details>
          <summary>Check output</summary>
          <pre>{output}</pre>
        </details>
      )}
    </div>
  );
}

// The step's reference solution, as a diff against the reader's own files (Monaco's diff
// editor: what they missed, line by line), and a button to apply it (undoable).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';
import { onTabListKey, rovingTabIndex } from './tabs.ts';

type Monaco = typeof import('./monaco.ts');

export function Solution({ model }: { model: WorkbenchModel }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const open = model.solutionOpen.value;
  const solution = model.solution.value;
  const files = model.files.value;
  const differing = open ? [...new Set([...Object.keys(solution), ...Object.keys(files)])].filter((p) => solution[p] !== files[p]).sort() : [];
  const [shown, setShown] = useState(differing[0] ?? '');
  const [diffReady, setDiffReady] = useState(false);
  const current = differing.includes(shown) ? shown : (differing[0] ?? '');

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setShown(differing[0] ?? '');
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);

  // The diff editor, while the dialog is open: left the reader's file, right the solution's.
  useEffect(() => {
    if (!open || !current || !host.current) return;
    let disposed = false;
    let cleanup = () => {};
    void import('./monaco.ts').then(async ({ monaco, languageOf, themeFor, styled }: Monaco) => {
      await styled;
      if (disposed || !host.current) return;
      const original = monaco.editor.createModel(files[current] ?? '', languageOf(current));
      const modified = monaco.editor.createModel(solution[current] ?? '', languageOf(current));
      const diff = monaco.editor.createDiffEditor(host.current, {
        readOnly: true,
        originalEditable: false,
        automaticLayout: true,
        renderSideBySide: host.current.clientWidth > 700,
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        fontSize: 12.5,
        theme: themeFor(matchMedia('(prefers-color-scheme: dark)').matches),
        ariaLabel: `${current}: your file and the solution`,
        originalAriaLabel: `${current}, your file`,
        modifiedAriaLabel: `${current}, the solution`,
      });
      diff.setModel({ original, modified });
      setDiffReady(true);
      cleanup = () => {
        diff.dispose();
        original.dispose();
        modified.dispose();
      };
    });
    return () => {
      disposed = true;
      setDiffReady(false);
      cleanup();
    };
  }, [open, current, model.step.value.id]);

  return (
    // Its contents only while open: closed, it would re-render the solution at every keystroke.
    <dialog ref={dialog} class="hp-solution" aria-labelledby={open ? 'hp-solution-title' : undefined} onClose={() => (model.solutionOpen.value = false)}>
      {open && (
        <>
          <h2 id="hp-solution-title">Solution: {model.step.value.title}</h2>
          {differing.length === 0 ? (
            <p>Your files already match the solution.</p>
          ) : (
            <>
              <p class="hp-muted">
                {differing.length === 1 ? 'One file differs' : `${differing.length} files differ`} from the solution: yours on the left, the solution on the right. Applying it replaces your files for this step; you can undo that afterwards.
              </p>
              <div class="hp-tabs" role="tablist" aria-label="Solution files" onKeyDown={onTabListKey}>
                {differing.map((p) => (
                  <button role="tab" class="hp-tab" aria-selected={p === current} tabIndex={rovingTabIndex(p === current)} onClick={() => setShown(p)}>
                    {p}
                    {files[p] === undefined ? ' (new)' : solution[p] === undefined ? ' (not in the solution)' : ''}
                  </button>
                ))}
              </div>
              <div class="hp-solution-diff" role="tabpanel" aria-label={current} data-ready={diffReady ? 'true' : 'false'}>
                <div class="hp-solution-diff-host" ref={host} />
                {!diffReady && <pre class="hp-solution-code">{solution[current]}</pre>}
              </div>
            </>
          )}
          <div class="hp-dialog-actions">
            <button class="hp-button" onClick={() => (model.solutionOpen.value = false)}>Close</button>
            <button class="hp-button hp-primary" onClick={() => model.applySolution()}>
              Apply solution
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

// The step's reference solution: each file that differs from the reader's, and a button to apply it.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';
import { onTabListKey, rovingTabIndex } from './tabs.ts';

export function Solution({ model }: { model: WorkbenchModel }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const open = model.solutionOpen.value;
  const { solution, files: start } = model.step.value;
  const differing = Object.keys(solution).filter((p) => solution[p] !== start[p]);
  const [shown, setShown] = useState(differing[0] ?? '');

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setShown(differing[0] ?? '');
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);

  return (
    <dialog ref={dialog} class="hp-solution" aria-labelledby="hp-solution-title" onClose={() => (model.solutionOpen.value = false)}>
      <h2 id="hp-solution-title">Solution: {model.step.value.title}</h2>
      <p class="hp-muted">The reference solution changes {differing.length === 1 ? 'this file' : `these ${differing.length} files`}. Applying it replaces your files for this step (Reset brings back the starting files).</p>
      <div class="hp-tabs" role="tablist" aria-label="Solution files" onKeyDown={onTabListKey}>
        {differing.map((p) => (
          <button role="tab" class="hp-tab" aria-selected={p === shown} tabIndex={rovingTabIndex(p === shown)} onClick={() => setShown(p)}>
            {p}
          </button>
        ))}
      </div>
      <pre class="hp-solution-code" role="tabpanel" aria-label={shown}>{solution[shown]}</pre>
      <div class="hp-dialog-actions">
        <button class="hp-button" onClick={() => (model.solutionOpen.value = false)}>Close</button>
        <button class="hp-button hp-primary" onClick={() => model.applySolution()}>Apply solution</button>
      </div>
    </dialog>
  );
}

// The workbench's keyboard shortcuts, and the overlay that lists them ("?" or the Keyboard link).
import { useEffect, useRef } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';

export type Shortcut = 'run' | 'stop' | 'check' | 'focus' | 'help';

/** Alt+Shift+letter by physical key (any layout, and no browser or editor binds them); "?" outside text fields. */
export function shortcutFor(e: KeyboardEvent): Shortcut | null {
  if (e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey) {
    if (e.code === 'KeyR') return 'run';
    if (e.code === 'KeyS') return 'stop';
    if (e.code === 'KeyC') return 'check';
    if (e.code === 'KeyF') return 'focus';
  }
  if (e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey) {
    const target = e.target as HTMLElement | null;
    const typing = target?.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], .monaco-editor, .xterm');
    if (!typing) return 'help';
  }
  return null;
}

const LIST: [string, string][] = [
  ['Alt+Shift+R', 'Run (restarts the sandbox with your files)'],
  ['Alt+Shift+S', 'Stop'],
  ['Alt+Shift+C', 'Check this step'],
  ['Alt+Shift+F', 'Hide or show the lesson beside the workbench'],
  ['Ctrl+M', 'In the editor: switch Tab between indenting and moving focus out of the editor'],
  ['Tab / Shift+Tab', 'Move between controls (in the editor, once Tab moves focus)'],
  ['?', 'This list (outside text fields)'],
  ['Esc', 'Close a dialog'],
];

export function Keys({ model }: { model: WorkbenchModel }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const open = model.keysOpen.value;
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    else if (!open && d.open) d.close();
  }, [open]);
  return (
    // Its contents only while open: every page would otherwise carry them, unseen.
    <dialog ref={dialog} class="hp-keys" aria-labelledby={open ? 'hp-keys-title' : undefined} onClose={() => (model.keysOpen.value = false)}>
      {open && (
        <>
          <h2 id="hp-keys-title">Keyboard</h2>
          <dl>
            {LIST.map(([keys, what]) => (
              <>
                <dt>
                  {keys.split(' / ').map((k, i) => (
                    <>
                      {i > 0 && ' / '}
                      <kbd>{k}</kbd>
                    </>
                  ))}
                </dt>
                <dd>{what}</dd>
              </>
            ))}
          </dl>
          <div class="hp-dialog-actions">
            <button class="hp-button" onClick={() => (model.keysOpen.value = false)}>Close</button>
          </div>
        </>
      )}
    </dialog>
  );
}

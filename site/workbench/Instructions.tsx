// The current step's instructions, from the lesson's own prose, in a dialog over the
// workbench: reachable on a phone and in focus mode without scrolling back through the lesson.
import { useEffect, useRef } from 'preact/hooks';

export function Instructions({ step, number, open, onClose }: { step: string; number: number; open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const body = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && body.current) {
      // A copy of the step's section, without its ids (they stay unique on the page) and
      // without its "Open step N in the workbench" button (it is open).
      const source = document.querySelector<HTMLElement>(`[data-step="${CSS.escape(step)}"]`);
      const copy = source?.cloneNode(true) as HTMLElement | undefined;
      copy?.querySelectorAll('[id]').forEach((el) => el.removeAttribute('id'));
      copy?.removeAttribute('aria-labelledby');
      copy?.querySelector('[data-open-step]')?.closest('p')?.remove();
      copy?.querySelector('h2')?.remove();
      body.current.replaceChildren(...(copy ? [...copy.childNodes] : [document.createTextNode('This step has no instructions on this page.')]));
      if (!d.open) d.showModal();
    } else if (d.open) d.close();
  }, [open, step]);

  return (
    <dialog ref={dialog} class="hp-instructions" aria-labelledby={open ? 'hp-instructions-title' : undefined} onClose={onClose}>
      {open && (
        <>
          <h2 id="hp-instructions-title">Step {number} instructions</h2>
          <div class="hp-instructions-body prose" ref={body} />
          <div class="hp-dialog-actions">
            <button class="hp-button" onClick={onClose}>Close</button>
          </div>
        </>
      )}
    </dialog>
  );
}

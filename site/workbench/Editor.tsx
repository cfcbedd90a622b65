// The code editor. Until the reader engages the workbench it is a plain, readable <pre>;
// then Monaco loads (on demand) and takes over with one model per sandbox file.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';

type Monaco = typeof import('./monaco.ts');

export function Editor({ model }: { model: WorkbenchModel }) {
  const host = useRef<HTMLDivElement>(null);
  const engaged = model.engaged.value;
  const path = model.activeFile.value;
  // Monaco is megabytes of script to compile: while a first Run starts its processes it would
  // take the CPU they need, so it waits for them, unless the reader reaches for the editor.
  const [wanted, setWanted] = useState(false);
  const [load, setLoad] = useState(false);
  const [mounted, setMounted] = useState(false);
  const starting = model.runState.value === 'starting';
  const stepFiles = model.stepFiles.value;
  useEffect(() => {
    if (engaged && (wanted || !starting)) setLoad(true);
  }, [engaged, wanted, starting]);

  useEffect(() => {
    if (!load || !host.current) return;
    let disposed = false;
    let cleanup = () => {};
    void import('./monaco.ts').then(async (m: Monaco) => {
      await m.styled;
      if (disposed || !host.current) return;
      cleanup = mountMonaco(m, host.current, model);
      setMounted(true);
    });
    return () => {
      disposed = true;
      cleanup();
    };
  }, [load]);

  return (
    <div class="hp-editor" data-engaged={engaged ? 'true' : 'false'} onPointerDown={() => setWanted(true)} onFocusIn={() => setWanted(true)}>
      <div class="hp-editor-host" ref={host} />
      {stepFiles.state === 'loading' && (
        <p class="hp-editor-static hp-files-state" role="status" data-testid="step-files" data-state="loading">
          Loading step {model.stepIndex.value + 1}'s files…
        </p>
      )}
      {stepFiles.state === 'error' && (
        <div class="hp-editor-static hp-files-state" role="alert" data-testid="step-files" data-state="error">
          <p>{stepFiles.message}</p>
          <button class="hp-button" onClick={() => model.retryStepFiles()}>Retry</button>
        </div>
      )}
      {!mounted && stepFiles.state === 'ready' && (
        <pre class="hp-editor-static" tabIndex={0} aria-label={`${path} (click to edit)`}>
          {model.files.value[path]}
        </pre>
      )}
    </div>
  );
}

function mountMonaco({ monaco, languageOf, loadSandboxTypes, themeFor }: Monaco, host: HTMLElement, model: WorkbenchModel): () => void {
  void loadSandboxTypes();
  const dark = matchMedia('(prefers-color-scheme: dark)');
  const uri = (p: string) => monaco.Uri.parse(`file:///sandbox/${p}`);
  const models = new Map<string, import('monaco-editor').editor.ITextModel>();
  const subscriptions: (() => void)[] = [];

  // Keep one Monaco model per file, in step with the workbench's files.
  const sync = () => {
    const files = model.files.value;
    for (const [p, m] of models) if (files[p] === undefined) (m.dispose(), models.delete(p));
    for (const [p, text] of Object.entries(files)) {
      let m = models.get(p);
      if (!m) {
        m = monaco.editor.getModel(uri(p)) ?? monaco.editor.createModel(text, languageOf(p), uri(p));
        const created = m;
        created.onDidChangeContent(() => model.edit(p, created.getValue()));
        models.set(p, created);
      }
      if (m.getValue() !== text) m.setValue(text);
    }
  };
  sync();
  const editor = monaco.editor.create(host, {
    model: models.get(model.activeFile.value) ?? null,
    automaticLayout: true,
    minimap: { enabled: false },
    fontSize: 13,
    scrollBeyondLastLine: false,
    tabSize: 2,
    theme: themeFor(dark.matches),
    ariaLabel: 'Sandbox file editor',
  });
  const onScheme = () => monaco.editor.setTheme(themeFor(dark.matches));
  dark.addEventListener('change', onScheme);
  subscriptions.push(() => dark.removeEventListener('change', onScheme));
  // Files replaced wholesale (Reset, Solution, another step): push them into the models.
  // (A step whose files just arrived may keep the file name shown: its model is new.)
  subscriptions.push(
    model.revision.subscribe(() => {
      sync();
      const m = models.get(model.activeFile.value);
      if (m && editor.getModel() !== m) editor.setModel(m);
    }),
  );
  subscriptions.push(
    model.activeFile.subscribe((p) => {
      const m = models.get(p);
      if (m && editor.getModel() !== m) editor.setModel(m);
    }),
  );
  // Tab indents until the reader asks it to move focus (Ctrl+M, or the button above the
  // editor): one setting, shown, instead of Monaco's own hidden toggle.
  subscriptions.push(model.tabMovesFocus.subscribe((on) => editor.updateOptions({ tabFocusMode: on })));
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyM, () => (model.tabMovesFocus.value = !model.tabMovesFocus.value));
  // Monaco keeps its (hidden) hover in the Tab order: the first Tab out would land on nothing
  // visible. It stays focusable from code (the hover's own keyboard command), not by Tab.
  const unTab = () => host.querySelectorAll<HTMLElement>('.monaco-hover[tabindex="0"]').forEach((el) => (el.tabIndex = -1));
  const observer = new MutationObserver(unTab);
  observer.observe(host, { subtree: true, childList: true, attributes: true, attributeFilter: ['tabindex'] });
  unTab();
  subscriptions.push(() => observer.disconnect());
  (globalThis as { __hotpotEditor?: unknown }).__hotpotEditor = editor;
  return () => {
    subscriptions.forEach((off) => off());
    editor.dispose();
    models.forEach((m) => m.dispose());
  };
}

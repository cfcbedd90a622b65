// Monaco, loaded on demand: the editor core, TypeScript/JavaScript language support with
// the sandbox's type declarations (bullmq, ioredis, ws, node), and basic highlighting.
// The whole editor (find, hover, suggest … are contributions the bare editor API lacks);
// every language's tokenizer is its own lazily loaded chunk.
import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker';
import CssWorker from 'monaco-editor/languages/features/css/css.worker?worker';
import HtmlWorker from 'monaco-editor/languages/features/html/html.worker?worker';
// Monaco's styles, as one file added when the editor loads (not with the page).
import monacoCss from '../../node_modules/monaco-editor/dev/vs/editor/editor.main.css?url';
import { linkStylesheet } from '../styles/link-stylesheet.ts';

/** Settles once Monaco's stylesheet has loaded (or failed): an editor made before it shows bare for a moment. */
export const styled = linkStylesheet(monacoCss);

(globalThis as { MonacoEnvironment?: monaco.Environment }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    if (label === 'json') return new JsonWorker();
    if (label === 'css') return new CssWorker();
    if (label === 'html') return new HtmlWorker();
    return new EditorWorker();
  },
};

const { typescriptDefaults, ScriptTarget, ModuleKind, ModuleResolutionKind } = monaco.typescript;
typescriptDefaults.setCompilerOptions({
  target: ScriptTarget.ES2020,
  module: ModuleKind.ESNext,
  moduleResolution: ModuleResolutionKind.NodeJs,
  allowImportingTsExtensions: true,
  noEmit: true,
  strict: true,
  esModuleInterop: true,
  allowNonTsExtensions: true,
  types: ['node'],
});
typescriptDefaults.setEagerModelSync(true);

let typesLoaded: Promise<void> | null = null;
/** Adds the sandbox's type declarations once per page. */
export function loadSandboxTypes(): Promise<void> {
  typesLoaded ??= fetch('/generated/sandbox-types.json')
    .then((r) => (r.ok ? (r.json() as Promise<Record<string, string>>) : ({} as Record<string, string>)))
    .then((libs) => typescriptDefaults.setExtraLibs(Object.entries(libs).map(([filePath, content]) => ({ filePath, content }))))
    .catch(() => undefined);
  return typesLoaded;
}

// Monaco's light theme, with the colours that fall under 4.5:1 made darker: type names
// (teal, 4.2:1), numbers (green, 4.1:1 on the panel) and the dimmed last line number (1.8:1).
monaco.editor.defineTheme('hotpot-light', {
  base: 'vs',
  inherit: true,
  rules: [
    { token: 'type', foreground: '006666' },
    { token: 'number', foreground: '0b6b4b' },
  ],
  colors: { 'editorLineNumber.foreground': '#3b6f80', 'editorLineNumber.dimmedForeground': '#3b6f80' },
});
/** The editor's theme for the reader's colour scheme. */
export const themeFor = (dark: boolean) => (dark ? 'vs-dark' : 'hotpot-light');

export function languageOf(path: string): string {
  const ext = path.split('.').pop() ?? '';
  return ({ ts: 'typescript', mts: 'typescript', js: 'javascript', mjs: 'javascript', json: 'json', html: 'html', css: 'css', md: 'markdown' } as Record<string, string>)[ext] ?? 'plaintext';
}

export { monaco };

// Monaco, loaded on demand: the editor core, TypeScript/JavaScript language support with
// the sandbox's type declarations (bullmq, ioredis, ws, node), and basic highlighting.
import * as monaco from 'monaco-editor/editor/editor.api';
import { typescriptDefaults, ModuleKind, ModuleResolutionKind, ScriptTarget } from 'monaco-editor/languages/features/typescript/register';
import 'monaco-editor/languages/features/json/register';
import 'monaco-editor/languages/definitions/html/register';
import 'monaco-editor/languages/definitions/css/register';
import 'monaco-editor/languages/definitions/markdown/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker';

(globalThis as { MonacoEnvironment?: monaco.Environment }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    if (label === 'json') return new JsonWorker();
    return new EditorWorker();
  },
};

typescriptDefaults.setCompilerOptions({
  target: ScriptTarget.ES2022,
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
    .then((r) => (r.ok ? (r.json() as Promise<Record<string, string>>) : {}))
    .then((libs) => typescriptDefaults.setExtraLibs(Object.entries(libs).map(([filePath, content]) => ({ filePath, content }))))
    .catch(() => undefined);
  return typesLoaded;
}

export function languageOf(path: string): string {
  const ext = path.split('.').pop() ?? '';
  return ({ ts: 'typescript', mts: 'typescript', js: 'javascript', mjs: 'javascript', json: 'json', html: 'html', css: 'css', md: 'markdown' } as Record<string, string>)[ext] ?? 'plaintext';
}

export { monaco };

// `npm run typecheck`, second half: the .astro files, which tsc does not read, checked by
// Astro's own language server — what `astro check` runs. @astrojs/check asks for TypeScript 5
// or 6 as a peer while the project compiles with TypeScript 7 (whose package has no compiler
// API for the language server to use), so this drives the same checker with TypeScript 6,
// installed beside 7 as `typescript-6`.
import { globSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { join, relative } from 'node:path';

// The checker's own modules ask for `typescript` by name: they get TypeScript 6.
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === 'typescript' && /node_modules\/(@volar|@astrojs\/language-server|volar-service)/.test(context.parentURL ?? ''))
      return next('typescript-6', context);
    return next(specifier, context);
  },
});
const { AstroCheck, DiagnosticSeverity } = await import('@astrojs/language-server');

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const files = globSync('site/**/*.astro', { cwd: root }).map((f) => join(root, f));
const checker = new AstroCheck(root, require.resolve('typescript-6/lib/typescript.js'), join(root, 'tsconfig.json'));
const result = await checker.lint({ fileNames: files });
let errors = 0;
for (const file of result.fileResult) {
  for (const d of file.errors) {
    if (d.severity !== DiagnosticSeverity.Error && d.severity !== DiagnosticSeverity.Warning) continue;
    if (d.severity === DiagnosticSeverity.Error) errors++;
    const where = `${relative(root, new URL(file.fileUrl).pathname)}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
    console.log(`${where} - ${d.severity === DiagnosticSeverity.Error ? 'error' : 'warning'}: ${d.message}`);
  }
}
console.log(`astro check: ${files.length} .astro files, ${errors} errors`);
process.exit(errors ? 1 : 0);

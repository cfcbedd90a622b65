// Astro inlines its island runtime (about 4.4 KB) and one small script per client directive
// into every page that has an island, so each lesson's HTML carried the same 5 KB (2 KB
// gzipped) again. After the build they move into one fingerprinted file that the browser
// caches across pages; each page loads it deferred, where its first such script stood.
//
// Nothing depends on their running before the parser reaches an island: <astro-island>
// elements upgrade whenever the element is defined, and an island whose directive has not
// arrived yet waits for the directive's "astro:<name>" event, which the directive's script
// sends when it runs.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Astro's own scripts, told apart from the site's by what they define: the island element,
// or a directive on the global Astro object. (Attribute-less inline scripts only.)
const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;
const isAstros = (js: string) => js.startsWith('(()=>{') && (js.includes('customElements.define("astro-island"') || /\(self\.Astro\|\|\(self\.Astro=\{\}\)\)\.\w+=/.test(js));

async function htmlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.html')).map((e) => join(e.parentPath, e.name));
}

export interface Moved {
  /** The shared file's URL path, or null when no page had an island. */
  url: string | null;
  pages: number;
  /** Bytes taken out of each page that had them (the largest). */
  bytesPerPage: number;
}

/** Moves Astro's inline island scripts out of every built page in `dir` into one shared file. */
export async function externalizeIslandScripts(dir: string, assets = '_astro'): Promise<Moved> {
  const pages = new Map<string, string>();
  const scripts = new Set<string>();
  for (const file of await htmlFiles(dir)) {
    const html = await readFile(file, 'utf8');
    const found = [...html.matchAll(INLINE_SCRIPT)].map((m) => m[1]!).filter(isAstros);
    if (!found.length) continue;
    for (const s of found) scripts.add(s);
    pages.set(file, html);
  }
  if (!scripts.size) return { url: null, pages: 0, bytesPerPage: 0 };
  // The directives first, the element last (either order works; this one is stable).
  const ordered = [...scripts].sort((a, b) => Number(a.includes('"astro-island"')) - Number(b.includes('"astro-island"')) || a.localeCompare(b));
  const body = ordered.join('\n') + '\n';
  const name = `islands.${createHash('sha256').update(body).digest('base64url').slice(0, 10)}.js`;
  await writeFile(join(dir, assets, name), body);
  const url = `/${assets}/${name}`;
  let bytesPerPage = 0;
  for (const [file, html] of pages) {
    let first = true;
    const out = html.replace(INLINE_SCRIPT, (whole, js: string) => {
      if (!isAstros(js)) return whole;
      if (!first) return '';
      first = false;
      return `<script src="${url}" defer></script>`;
    });
    bytesPerPage = Math.max(bytesPerPage, html.length - out.length);
    await writeFile(file, out);
  }
  return { url, pages: pages.size, bytesPerPage };
}

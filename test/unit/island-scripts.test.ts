// Astro's inline island scripts leave every page for one shared, fingerprinted file; the
// site's own inline scripts stay where they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalizeIslandScripts } from '../../site/integration/island-scripts.ts';

const ISLAND = '(()=>{var f=class extends HTMLElement{connectedCallback(){if(a<b)this.start()}};customElements.get("astro-island")||customElements.define("astro-island",f)})();';
const VISIBLE = '(()=>{var a=(s)=>{};(self.Astro||(self.Astro={})).visible=a;window.dispatchEvent(new Event("astro:visible"));})();';
const ONLY = '(()=>{var e=async t=>{};(self.Astro||(self.Astro={})).only=e;window.dispatchEvent(new Event("astro:only"));})();';
const SITE = '(function(){const preload={"a":1};if(1<2)document.title="x"})();';

test('island scripts move to one shared file, loaded once per page where the first stood; the site\u2019s scripts stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotpot-islands-'));
  try {
    mkdirSync(join(dir, '_astro'));
    mkdirSync(join(dir, 'lessons', 'a'), { recursive: true });
    const page = (directive: string) =>
      `<html><head><script>${SITE}</script></head><body><p>prose</p><style>astro-island{display:contents}</style><script>${directive}</script><script>${ISLAND}</script><astro-island></astro-island><script type="module">import "/x.js"</script></body></html>`;
    writeFileSync(join(dir, 'lessons', 'a', 'index.html'), page(VISIBLE));
    writeFileSync(join(dir, 'index.html'), page(ONLY));
    writeFileSync(join(dir, 'plain.html'), `<html><body><script>${SITE}</script></body></html>`);

    const moved = await externalizeIslandScripts(dir);
    assert.equal(moved.pages, 2);
    assert.match(moved.url!, /^\/_astro\/islands\.[\w-]{10}\.js$/);
    const shared = readFileSync(join(dir, moved.url!), 'utf8');
    for (const s of [ISLAND, VISIBLE, ONLY]) assert.ok(shared.includes(s), 'each distinct script once in the shared file');
    assert.ok(!shared.includes(SITE));
    assert.deepEqual(readdirSync(join(dir, '_astro')), [moved.url!.split('/').at(-1)]);

    for (const file of ['index.html', join('lessons', 'a', 'index.html')]) {
      const html = readFileSync(join(dir, file), 'utf8');
      assert.ok(!html.includes('astro-island",f') && !html.includes('self.Astro'), `${file}: no island script left inline`);
      assert.equal(html.split(`<script src="${moved.url}" defer></script>`).length, 2, `${file}: the shared file loaded once`);
      // Where the first island script stood: after the prose, before the island.
      assert.ok(html.indexOf(moved.url!) > html.indexOf('prose') && html.indexOf(moved.url!) < html.indexOf('<astro-island>'));
      assert.ok(html.includes(`<script>${SITE}</script>`) && html.includes('<script type="module">import "/x.js"</script>'), `${file}: the site's scripts untouched`);
    }
    assert.equal(readFileSync(join(dir, 'plain.html'), 'utf8'), `<html><body><script>${SITE}</script></body></html>`);
    // The same contents always give the same name (a browser's cached copy stays valid).
    const again = mkdtempSync(join(tmpdir(), 'hotpot-islands-'));
    try {
      mkdirSync(join(again, '_astro'));
      writeFileSync(join(again, 'index.html'), page(ONLY));
      writeFileSync(join(again, 'b.html'), page(VISIBLE));
      assert.equal((await externalizeIslandScripts(again)).url, moved.url);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

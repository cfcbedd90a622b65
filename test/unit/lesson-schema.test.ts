import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { Lesson } from '../../lessons/schema.ts';
import { listSandboxes } from '../../sandboxes/load.ts';

test('a live lesson needs a sandbox; a coming one does not', () => {
  assert.equal(Lesson.safeParse({ title: 'T', order: 1, summary: 'S', status: 'coming' }).success, true);
  const r = Lesson.safeParse({ title: 'T', order: 1, summary: 'S', status: 'live' });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues[0]!.path, ['sandbox']);
  assert.equal(Lesson.safeParse({ title: '', order: 1, summary: 'S', status: 'coming' }).success, false);
  assert.equal(Lesson.safeParse({ title: 'T', order: 0, summary: 'S', status: 'coming' }).success, false);
  assert.equal(Lesson.safeParse({ title: 'T', order: 1, summary: 'S', status: 'draft' }).success, false);
});

// Frontmatter is YAML; the lessons use only "key: value" lines, which this reads.
function frontmatter(text: string): Record<string, unknown> {
  const block = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
  return Object.fromEntries(
    block.split('\n').filter((l) => l.includes(':')).map((l) => {
      const [k, ...v] = l.split(':');
      const raw = v.join(':').trim().replace(/^['"]|['"]$/g, '');
      return [k!.trim(), /^\d+$/.test(raw) ? Number(raw) : raw];
    }),
  );
}

test('the course has its five lessons in order, each valid, live ones pointing at a real sandbox', async () => {
  const slugs = (await readdir(new URL('../../lessons/', import.meta.url), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const sandboxes = await listSandboxes();
  const lessons = await Promise.all(
    slugs.map(async (slug) => ({ slug, ...Lesson.parse(frontmatter(await readFile(new URL(`../../lessons/${slug}/index.mdx`, import.meta.url), 'utf8'))) })),
  );
  lessons.sort((a, b) => a.order - b.order);
  assert.deepEqual(lessons.map((l) => l.slug), ['async-tasks', 'scheduling', 'thread-pools', 'concurrency-models', 'websockets']);
  for (const l of lessons) if (l.status === 'live') assert.ok(sandboxes.includes(l.sandbox!), `${l.slug}: sandbox ${l.sandbox} exists`);
});

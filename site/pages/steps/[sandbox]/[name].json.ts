// Each live lesson's step files, one JSON file per step (see site/integration/step-files.ts).
import type { APIRoute, GetStaticPaths } from 'astro';
import { getCollection } from 'astro:content';
import { join } from 'node:path';
import { stepFiles } from '../../../integration/step-files.ts';

export const getStaticPaths = (async () => {
  const lessons = await getCollection('lessons', (l) => l.data.status === 'live');
  const sandboxes = [...new Set(lessons.map((l) => l.data.sandbox!))];
  const entries = (await Promise.all(sandboxes.map((s) => stepFiles(s, join(process.cwd(), 'sandboxes'))))).flat();
  return entries.map((e) => ({ params: { sandbox: e.sandbox, name: e.name }, props: { body: e.body } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) => new Response((props as { body: string }).body, { headers: { 'Content-Type': 'application/json; charset=utf-8' } });

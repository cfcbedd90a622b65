// The course's lessons and steps, for the workshop console (the grid's columns) and the hub
// (which refuses events about steps that do not exist).
import type { APIRoute } from 'astro';
import { getCollection } from 'astro:content';
import { join } from 'node:path';
import { loadSandbox } from '../../../sandboxes/load.ts';

export const GET: APIRoute = async () => {
  const SANDBOXES = join(process.cwd(), 'sandboxes');
  const live = (await getCollection('lessons', (l) => l.data.status === 'live' && !!l.data.sandbox)).sort((a, b) => a.data.order - b.data.order);
  const lessons = await Promise.all(
    live.map(async (l) => {
      const sandbox = await loadSandbox(l.data.sandbox!, SANDBOXES);
      return { id: l.id, title: l.data.title, order: l.data.order, steps: sandbox.steps.map((s) => ({ id: s.id, title: s.title })) };
    }),
  );
  return new Response(JSON.stringify({ lessons }, null, 2), { headers: { 'Content-Type': 'application/json' } });
};

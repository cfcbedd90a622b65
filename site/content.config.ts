import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { Lesson } from '../lessons/schema.ts';

// Lessons live outside the site folder, one folder each: lessons/<slug>/index.mdx.
const lessons = defineCollection({
  loader: glob({ pattern: '*/index.mdx', base: './lessons', generateId: ({ entry }) => entry.split('/')[0]! }),
  schema: Lesson,
});

export const collections = { lessons };

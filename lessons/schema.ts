// A lesson's frontmatter: one schema for the content collection (validation at build) and
// the type the pages use.
import { z } from 'zod';

export const Lesson = z
  .object({
    title: z.string().min(1),
    /** Position on the course map. */
    order: z.number().int().positive(),
    /** One sentence for the course map. */
    summary: z.string().min(1),
    /** "coming" lessons appear on the map but have no page yet. */
    status: z.enum(['live', 'coming']),
    /** The folder under sandboxes/ this lesson's workbench runs. */
    sandbox: z.string().optional(),
    /** What the reader coming from Django/Celery already knows by another name. */
    django: z.string().optional(),
  })
  .refine((l) => l.status === 'coming' || l.sandbox, { message: 'a live lesson names its sandbox', path: ['sandbox'] });
export type Lesson = z.infer<typeof Lesson>;

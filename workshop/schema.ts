// The workshop's concepts, one zod schema each: what the stores keep, and every message on
// the hub's WebSocket in both directions. Both the hub (Node) and the pages (browser) import
// this file, so it imports nothing of either.
import { z } from 'zod';

/** Limits every message is held to; each refusal names the limit. */
export const LIMITS = {
  name: 40,
  note: 280,
  title: 120,
  reason: 400,
  lessons: 20,
  snippet: 8 * 1024,
  /** An attendee's files, sent only while the instructor looks at them. */
  filesBytes: 256 * 1024,
  files: 100,
  /** Largest WebSocket message the hub reads. */
  messageBytes: 16 * 1024,
  /** Messages per second an attendee may send, and the burst above it. */
  ratePerSecond: 10,
  burst: 40,
} as const;

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an id is lower-case letters, digits and dashes');
/** Plain text: no control characters (newlines allowed in notes); never rendered as HTML. */
const text = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `${what} is at most ${max} characters`)
    .refine((s) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s), `${what} must be plain text`);

export const ShortCode = z.string().regex(/^[A-HJ-NP-Z2-9]{6}$/, 'a workshop code is six letters and digits, like K7M2QX');

const filePath = z.string().max(200).regex(/^[\w.-]+(\/[\w.-]+)*$/, 'a file path is like src/worker.ts').refine((p) => !p.split('/').includes('..'), 'a file path stays inside the sandbox');
export const ClassMessage = z.object({
  id: z.string().max(40),
  text: text(LIMITS.note, 'the message'),
  /** Code to apply to `path` (the whole file), or, without a path, to copy. */
  code: z.string().max(LIMITS.snippet, `the code is at most ${LIMITS.snippet / 1024} KB`).nullable(),
  path: filePath.nullable(),
  at: z.number(),
});
export type ClassMessage = z.infer<typeof ClassMessage>;

export const Workshop = z.object({
  id,
  code: ShortCode,
  title: text(LIMITS.title, 'the title').pipe(z.string().min(1, 'the title is empty')),
  lessons: z.array(id).min(1, 'choose at least one lesson').max(LIMITS.lessons),
  createdAt: z.number(),
  /** When the class is meant to end (shown on the console); ending it is the instructor's act. */
  endsAt: z.number().nullable(),
  ended: z.boolean(),
  /** Follow me: the lesson and step the instructor leads everyone to. */
  follow: z.object({ lesson: id, step: id, at: z.number() }).nullable(),
  /** A countdown for an exercise. */
  pace: z.object({ label: text(80, 'the exercise'), endsAt: z.number() }).nullable(),
  /** A message to everyone, maybe with code they can apply to one of their files or dismiss. */
  broadcast: ClassMessage.nullable().default(null),
  /** One attendee's file, shown by the instructor to the whole class (read-only). */
  shared: z
    .object({ attendee: id, name: z.string(), path: z.string().max(200), contents: z.string().max(LIMITS.snippet * 8), at: z.number() })
    .nullable()
    .default(null),
});
export type Workshop = z.infer<typeof Workshop>;

/** One step's progress, as the grid shows it (no entry: not started). */
export const StepProgress = z.object({
  state: z.enum(['editing', 'running', 'failed', 'passed']),
  /** Failed Checks on this step since it last passed. */
  fails: z.number().int().nonnegative(),
  lastReason: z.string().max(LIMITS.reason),
  /** The last time anything happened on this step. */
  at: z.number(),
});
export type StepProgress = z.infer<typeof StepProgress>;

export const Note = z.object({ kind: z.enum(['done', 'help']), text: z.string().max(LIMITS.note), at: z.number() });
export type Note = z.infer<typeof Note>;

/**
 * A number a lesson's experiment measured on the attendee's machine (a pool size's throughput,
 * a timer's lateness…). A sandbox page sends it to the lesson page with
 * `parent.postMessage({ hotpot: 'result', experiment, label, value, unit }, '*')`.
 */
export const SandboxResult = z.object({
  hotpot: z.literal('result'),
  experiment: id,
  label: text(80, 'the label'),
  value: z.number().finite(),
  unit: text(12, 'the unit'),
});
export type SandboxResult = z.infer<typeof SandboxResult>;
export const MAX_RESULTS = 50;

export const Attendee = z.object({
  id,
  workshop: id,
  name: z.string(),
  /** sha256 of the attendee's secret: the secret itself stays in their browser. */
  secretHash: z.string(),
  joinedAt: z.number(),
  lastSeen: z.number(),
  /** Where the attendee is, and since when. */
  lesson: id.nullable(),
  step: id.nullable(),
  stepSince: z.number().nullable(),
  /** Keyed `lesson/step`. */
  steps: z.record(z.string(), StepProgress),
  note: Note.nullable(),
  /** Where the attendee runs their sandboxes: in the browser, or their own `npm start`. */
  runtime: z.string().max(20).nullable(),
  /** The latest result of each experiment, keyed `lesson/experiment`. */
  results: z.record(z.string(), z.object({ label: z.string(), value: z.number(), unit: z.string(), at: z.number() })).default({}),
});
export type Attendee = z.infer<typeof Attendee>;
/** What the console and the attendee receive: everything but the secret's hash. */
export type AttendeeView = Omit<Attendee, 'secretHash'>;
export const publicAttendee = ({ secretHash: _s, ...rest }: Attendee): AttendeeView => rest;

// ---- messages from clients ------------------------------------------------------------

const where = { lesson: id, step: id };
export const AttendeeEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('step'), ...where, runtime: z.string().max(20).optional() }),
  z.object({ type: z.literal('edit'), ...where }),
  z.object({ type: z.literal('run'), ...where, state: z.enum(['starting', 'running', 'stopping', 'stopped', 'failed', 'idle']) }),
  z.object({ type: z.literal('check'), ...where, ok: z.boolean(), reason: z.string().max(LIMITS.reason * 4) }),
  z.object({ type: z.literal('note'), kind: z.enum(['done', 'help']).nullable(), text: text(LIMITS.note, 'the note').optional() }),
  z.object({
    type: z.literal('files'),
    ...where,
    files: z
      .record(z.string(), z.string())
      .refine((f) => Object.keys(f).length <= LIMITS.files, `at most ${LIMITS.files} files`)
      .refine((f) => Object.keys(f).every((p) => filePath.safeParse(p).success), 'file paths stay inside the sandbox, like src/worker.ts'),
  }),
  z.object({ type: z.literal('result'), lesson: id, ...SandboxResult.omit({ hotpot: true }).shape }),
  z.object({ type: z.literal('ping') }),
]);
export type AttendeeEvent = z.infer<typeof AttendeeEvent>;

export const InstructorCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('create'),
    title: text(LIMITS.title, 'the title').pipe(z.string().min(1, 'the title is empty')),
    lessons: z.array(id).min(1, 'choose at least one lesson').max(LIMITS.lessons),
    endsAt: z.number().nullable().optional(),
  }),
  z.object({ type: z.literal('open'), workshop: id }),
  z.object({ type: z.literal('follow'), workshop: id, lesson: id, step: id }),
  z.object({ type: z.literal('unfollow'), workshop: id }),
  z.object({ type: z.literal('pace'), workshop: id, label: text(80, 'the exercise'), seconds: z.number().int().min(10).max(4 * 3600) }),
  z.object({ type: z.literal('unpace'), workshop: id }),
  z.object({ type: z.literal('resolve'), workshop: id, attendee: id }),
  z.object({
    type: z.literal('broadcast'),
    workshop: id,
    text: text(LIMITS.note, 'the message'),
    code: z.string().max(LIMITS.snippet, `the code is at most ${LIMITS.snippet / 1024} KB`).nullable().optional(),
    path: filePath.nullable().optional(),
  }),
  z.object({ type: z.literal('unbroadcast'), workshop: id }),
  /** Look at an attendee's files (live, read-only) until `unlook`. */
  z.object({ type: z.literal('look'), workshop: id, attendee: id }),
  z.object({ type: z.literal('unlook'), workshop: id, attendee: id }),
  z.object({ type: z.literal('share'), workshop: id, attendee: id, path: filePath, contents: z.string().max(LIMITS.snippet * 8, 'the file is too large to show') }),
  z.object({ type: z.literal('unshare'), workshop: id }),
  z.object({ type: z.literal('end'), workshop: id }),
  z.object({ type: z.literal('ping') }),
]);
export type InstructorCommand = z.infer<typeof InstructorCommand>;

/** The first message on every socket: who this is. */
export const Hello = z.discriminatedUnion('role', [
  z.object({ type: z.literal('hello'), role: z.literal('instructor'), secret: z.string().min(1).max(200) }),
  z.object({ type: z.literal('hello'), role: z.literal('attendee'), workshop: id, attendee: id, secret: z.string().min(1).max(200) }),
  /** A newcomer: joins by short code with a display name, then is an attendee. */
  z.object({
    type: z.literal('hello'),
    role: z.literal('join'),
    code: z.string().trim().toUpperCase().pipe(ShortCode),
    name: text(LIMITS.name, 'your name').pipe(z.string().min(1, 'your name is empty')),
  }),
]);
export type Hello = z.infer<typeof Hello>;

// ---- messages from the hub ------------------------------------------------------------

export type HubMessage =
  | { type: 'error'; message: string; fatal?: boolean }
  | { type: 'joined'; workshop: string; attendee: string; secret: string }
  /** An attendee's own view: their row and the class-wide state they follow. */
  | { type: 'welcome'; workshop: Workshop; me: AttendeeView }
  /** The instructor's console: the workshops, and the open one's attendees. */
  | { type: 'workshops'; workshops: Workshop[] }
  | { type: 'console'; workshop: Workshop; attendees: AttendeeView[] }
  | { type: 'attendee'; attendee: AttendeeView }
  | { type: 'workshop'; workshop: Workshop }
  /** To an attendee: the instructor is looking at your files (send them as they change), or stopped. */
  | { type: 'look'; on: boolean }
  /** To consoles: an attendee's files, while someone looks. */
  | { type: 'files'; workshop: string; attendee: string; lesson: string; step: string; files: Record<string, string> }
  | { type: 'pong' };

/** What instances of the hub tell each other (through the store's fan-out). */
export type Broadcast =
  | { type: 'attendee'; workshop: string; attendee: AttendeeView }
  | { type: 'workshop'; workshop: Workshop }
  /** Which attendees one hub's consoles look at: sent on a change and as a heartbeat. */
  | { type: 'looks'; hub: string; attendees: string[] }
  | { type: 'files'; workshop: string; attendee: string; lesson: string; step: string; files: Record<string, string> };

export const stepKey = (lesson: string, step: string) => `${lesson}/${step}`;

/** The first zod issue, as one sentence a person can act on. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'the message is not valid';
  const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}

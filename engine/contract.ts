// The contract between the workbench (browser) and the local runner, in one place: where the
// API lives, how the token travels, the states a run and its processes go through, and the
// messages over the one WebSocket per page, one schema per direction, used to validate and as
// the types on both sides.
import { z } from 'zod';
import { FileMap } from '../sandboxes/schema.ts';

/** The WebSocket a page runs its sandbox over. */
export const API_PATH = '/api/runner';
/** Answers {ok: true} to a request with the token: a page asks it to learn that a runner serves it. */
export const HEALTH_PATH = '/api/runner/health';
/** The meta tag the runner puts in every page it serves, holding the token. */
export const TOKEN_META = 'hotpot-runner-token';
/** The header a page sends the token in (or `?token=` on the WebSocket's address). */
export const TOKEN_HEADER = 'X-Hotpot-Token';

/** A whole run, as the workbench shows it; "idle" before the first Run. */
export const RunState = z.enum(['idle', 'starting', 'running', 'stopping', 'stopped', 'failed']);
export type RunState = z.infer<typeof RunState>;

const name = z.string().min(1).max(64);

/** The Broker tab's key to the broker's inspector: made by the page for each run, given to the
 *  run's processes in INSPECTOR_SECRET_ENV, sent back by the page as `?secret=`. Any other page
 *  that guesses the inspector's port has no way to learn it. */
export const InspectorSecret = z.string().regex(/^[A-Za-z0-9_-]{22,128}$/, 'an inspector secret is 22 to 128 URL-safe characters');
export const INSPECTOR_SECRET_ENV = 'HOTPOT_INSPECTOR_SECRET';
/** Page origins the inspector accepts besides loopback ones (a WebContainer page is on the site's own host). */
export const INSPECTOR_ORIGIN_ENV = 'HOTPOT_INSPECTOR_ORIGIN';

export const ClientMessage = z.discriminatedUnion('type', [
  /** Start the sandbox with the reader's files (the manifest and checks come from the server's own copy). */
  z.object({ type: z.literal('run'), sandbox: name, step: name, files: FileMap, inspectorSecret: InspectorSecret.optional() }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('kill'), process: name }),
  z.object({ type: z.literal('restart'), process: name }),
  z.object({ type: z.literal('input'), process: name, data: z.string().max(64 * 1024) }),
  /** Run the step's check inside the running sandbox. */
  z.object({ type: z.literal('check'), step: name }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const ProcessState = z.enum(['waiting', 'starting', 'ready', 'exited', 'killed', 'failed']);
export type ProcessState = z.infer<typeof ProcessState>;

export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), version: z.literal(1), limits: z.record(z.string(), z.number()) }),
  /** The whole run: "running" once every process is ready. */
  z.object({
    type: z.literal('run'),
    state: RunState.exclude(['idle']),
    message: z.string().optional(),
  }),
  z.object({
    type: z.literal('process'),
    process: name,
    state: ProcessState,
    pid: z.number().optional(),
    code: z.number().nullable().optional(),
    signal: z.string().nullable().optional(),
    message: z.string().optional(),
  }),
  /** Raw terminal output (ANSI escapes kept). */
  z.object({ type: z.literal('output'), process: name, data: z.string() }),
  /**
   * A port of the sandbox is reachable in the preview at this URL. The local runner gives each
   * sandbox port an origin of its own (never the course's), the same for every run of the sandbox.
   */
  z.object({ type: z.literal('port'), port: name, url: z.string() }),
  z.object({ type: z.literal('check'), step: name, ok: z.boolean(), reason: z.string(), output: z.string() }),
  /** A request was refused or a limit was hit; the message is meant for the reader. */
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

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

export const ClientMessage = z.discriminatedUnion('type', [
  /** Start the sandbox with the reader's files (the manifest and checks come from the server's own copy). */
  z.object({ type: z.literal('run'), sandbox: name, step: name, files: FileMap }),
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

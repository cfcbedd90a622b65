// How a process's end and a check's result are put to the reader, the same in every runtime.
import { lastNonEmptyLine } from './text.ts';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Set when the command could not be started at all. */
  error?: Error;
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `could not start: ${info.error.message}`;
  if (info.signal) return `was ended by ${info.signal}`;
  return `exited with code ${info.code}`;
}

/** Why a command could not be started at all, for the reader. */
export function describeSpawnError(error: Error, spec: { command: string[]; role?: string }): string {
  const code = (error as Error & { code?: string }).code;
  const command = spec.command[0]!;
  if (code === 'ENOENT') {
    const hint = spec.role === 'broker' ? ' Install it, or start the runner with --redis-url pointing at a Redis you have.' : ' Is it installed?';
    return `the command "${command}" was not found.${hint}`;
  }
  if (code === 'EACCES') return `the command "${command}" is not executable.`;
  return `"${command}" could not be started: ${error.message}`;
}

export interface CheckVerdict {
  ok: boolean;
  /** One line: the check's own last line of output, or why it did not finish. */
  reason: string;
}

/**
 * A check passes when it exits 0; its reason is its last non-empty line of output (escapes
 * removed). A check that ran out of time or never started fails with that as the reason.
 */
export function checkVerdict(result: { exit: ExitInfo; output: string; timedOut: boolean; timeoutMs: number; command: string[] }): CheckVerdict {
  if (result.timedOut) return { ok: false, reason: `the check took longer than ${result.timeoutMs / 1000} s` };
  if (result.exit.error) return { ok: false, reason: `the check could not start: ${describeSpawnError(result.exit.error, { command: result.command })}` };
  const ok = result.exit.code === 0;
  return { ok, reason: lastNonEmptyLine(result.output) || (ok ? 'the check passed' : `the check ${describeExit(result.exit)}`) };
}

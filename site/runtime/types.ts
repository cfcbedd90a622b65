// The one interface the workbench talks to. Two implementations: WebContainer (in the
// browser) and the local runner (real processes on the reader's machine, over a WebSocket).
import type { FileMap, SandboxManifest } from '../../sandboxes/schema.ts';
import type { ProcessState, RunState } from '../../engine/contract.ts';

export type { RunState };

export type RuntimeKind = 'webcontainer' | 'local';

/** Explicit boot state, shown to the reader in one line. */
export type BootState =
  | { state: 'idle' }
  | { state: 'booting'; kind: RuntimeKind }
  | { state: 'ready'; kind: RuntimeKind; reason: string }
  | { state: 'unavailable'; reason: string };


export interface CheckResult {
  ok: boolean;
  /** One line a beginner understands. */
  reason: string;
  output: string;
}

export interface RunEvents {
  output(process: string, data: string): void;
  process(process: string, state: ProcessState, detail?: string): void;
  run(state: RunState, message?: string): void;
  /** A port became reachable (url: what the preview iframe loads), or went away (null). */
  port(port: string, url: string | null): void;
  error(message: string): void;
}

export interface RunRequest {
  manifest: SandboxManifest;
  step: string;
  files: FileMap;
  /** Given to the run's broker as its inspector's secret; the Broker tab connects with it. */
  inspectorSecret?: string;
}

/** A started sandbox. Every method settles: on success, or with an Error the reader can read. */
export interface RunHandle {
  stop(): Promise<void>;
  kill(process: string): Promise<void>;
  restart(process: string): Promise<void>;
  input(process: string, data: string): void;
  check(step: string, signal?: AbortSignal): Promise<CheckResult>;
}

export interface SandboxRuntime {
  readonly kind: RuntimeKind;
  /** Why this runtime was chosen, in one line. */
  readonly reason: string;
  run(request: RunRequest, events: RunEvents): Promise<RunHandle>;
  dispose(): void;
}

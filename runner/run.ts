// One sandbox run: a fresh folder with the reader's files, the manifest's processes started in
// order as real processes (each the leader of its own process group), their output streamed,
// and everything killed and removed on stop. Usable without the server: give it a loaded
// sandbox, a step, the files and a callback for the protocol's server messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadedSandbox } from '../sandboxes/load.ts';
import type { FileMap, SandboxProcess, SandboxStep } from '../sandboxes/schema.ts';
import { INSPECTOR_ORIGIN_ENV, INSPECTOR_SECRET_ENV, type ProcessState, type RunState, type ServerMessage } from '../engine/contract.ts';
import { MiB, OutputLimiter, checkFiles, formatBytes, limitMessages, resolveLimits, type Limits } from '../engine/limits.ts';
import { nodeArgs } from '../engine/node.ts';
import { checkVerdict, describeExit, describeSpawnError, type ExitInfo } from '../engine/outcomes.ts';
import { checkEnv, portOwners, withPorts } from '../engine/ports.ts';
import { LineWatch, notReadyReason, raceReady, type ReadyOutcome } from '../engine/probes.ts';
import { TailBuffer } from '../engine/text.ts';
import { PathError, writeInside } from './paths.ts';
import { localProbes } from './probes.ts';
import { anyAlive, killMarkedSync, killTreeSync, listProcesses, listProcessesSync, markedProcessesSync, signalGroup, treeMembers } from './proctree.ts';
import { RunCgroup, inCgroup } from './cgroup.ts';
import { isLoopbackAddress, listenersOf } from './listening.ts';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where the sandboxes' packages are: `.hotpot/sandbox-modules/node_modules`, else the project's own node_modules. */
export function defaultModulesDir(root = projectRoot): string | null {
  const prepared = join(root, '.hotpot', 'sandbox-modules', 'node_modules');
  if (existsSync(prepared)) return prepared;
  const own = join(root, 'node_modules');
  return existsSync(own) ? own : null;
}

/** A refusal or failure with a protocol error code and a message for the reader. */
export class RunError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export type { RunState };

export interface RunOptions {
  sandbox: LoadedSandbox;
  /** The step whose check this run offers; must be a step of the sandbox. */
  step: string;
  /** The reader's files, written into the run folder. */
  files: FileMap;
  /** The page's key to the broker's inspector, for every process of the run (INSPECTOR_SECRET_ENV). */
  inspectorSecret?: string;
  /** The course page's origin where the broker's inspector would not accept it by itself (a visitor on another computer; INSPECTOR_ORIGIN_ENV). */
  inspectorOrigin?: string;
  /** Linked as node_modules in the run folder; default `defaultModulesDir()`; null for none. */
  modulesDir?: string | null;
  /** When set, processes with role "broker" are not started and every process gets REDIS_URL set to this. */
  redisUrl?: string;
  limits?: Partial<Limits>;
  /** Random when not given. */
  id?: string;
  /** The address a port is shown at in the preview (the server gives each sandbox port its own origin); default `/preview/<run>/<port>/`. */
  previewUrl?(port: string): string;
  /** Every protocol message of this run (output, process and run states, ports, checks, errors). */
  onMessage?(message: ServerMessage): void;
  /** Called once the run has stopped or failed and its folder is removed. */
  onEnd?(run: Run): void;
}

export interface CheckOutcome {
  ok: boolean;
  reason: string;
  output: string;
}

/** The address sandbox servers are told to bind (HOST). */
export const SANDBOX_HOST = '127.0.0.1';
/** The environment variable every process of a run carries, set to the run's id. */
export const RUN_MARKER = 'HOTPOT_RUN';

const CHECK_OUTPUT_MAX = 64 * 1024;
const STOP_GRACE_MS = 2000;
/** Of the grace period, what a broker at least gets after the processes that use it are gone. */
const BROKER_GRACE_MS = 500;
const KILL_WAIT_MS = 2000;
const POLL_MS = 50;
/** How often the run's processes are counted (and its memory measured). */
const SAMPLE_MS = 250;
/** Listening sockets are looked at every this many samples. */
const LISTEN_EVERY = 4;
const YELLOW = '\x1b[0;33m';
const HEAP_OUT = /JavaScript heap out of memory/;
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

interface ManagedProcess {
  spec: SandboxProcess;
  child: ChildProcess | null;
  pid: number | undefined;
  state: ProcessState;
  /** Resolves when the current child has exited. */
  exited: Promise<ExitInfo> | null;
  /** Bumped on every launch, so late events of an earlier child are ignored. */
  generation: number;
  killRequested: boolean;
  /** Why the current launch failed (shown with the "failed" state), if it did. */
  failReason: string | null;
  /** A broker replaced by --redis-url: never started. */
  replaced: boolean;
  limiter: OutputLimiter;
  dropTimer: NodeJS.Timeout | null;
  lines: LineWatch;
  probeAbort: AbortController | null;
  ports: string[];
}

/** Every run that may have processes or a folder: the runner's exit path kills them all. */
const liveRuns = new Set<Run>();

/** SIGKILL every process group of every run and remove their folders, synchronously (exit path). */
export function killAllRunsSync(): void {
  for (const run of [...liveRuns]) run.killAllSync();
}

let exitHooked = false;
/** Even without the CLI (tests, benchmarks), a normal exit of this process ends every run's processes. */
function ensureExitHook(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killAllRunsSync);
}

let watchdog: ChildProcess | null = null;
/** Tells the watchdog (started with the first run) what to clean up if this process dies. */
function tellWatchdog(message: object): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, [fileURLToPath(new URL('./watchdog.ts', import.meta.url))], {
      stdio: ['pipe', 'ignore', 'inherit'],
      detached: true,
      env: { PATH: process.env.PATH ?? '' },
    });
    watchdog.on('error', () => {});
    watchdog.stdin!.on('error', () => {});
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?(): void }).unref?.();
  }
  watchdog.stdin!.write(`${JSON.stringify(message)}\n`);
}

/** The file a command name runs, looked up as spawn would; null when there is none. */
function findCommand(file: string, path: string, cwd: string): string | null {
  const candidates = file.includes('/') ? [isAbsolute(file) ? file : join(cwd, file)] : path.split(delimiter).filter(Boolean).map((d) => join(d, file));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return null;
}

/** Resident memory of these processes together, in bytes (Linux; 0 elsewhere). */
function residentBytes(pids: number[]): number {
  let pages = 0;
  for (const pid of pids) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) || 0;
    } catch {
      // gone
    }
  }
  return pages * 4096;
}

export function activeRunCount(): number {
  return liveRuns.size;
}

/** Free TCP ports, one per name: each found by listening on port 0, all held until all are found. */
export async function allocatePorts(names: string[]): Promise<Record<string, number>> {
  const servers: Server[] = [];
  try {
    for (const _ of names) {
      servers.push(
        await new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
      );
    }
    return Object.fromEntries(names.map((n, i) => [n, (servers[i]!.address() as AddressInfo).port]));
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** The URL without its password, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the given URL';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Run {
  readonly id: string;
  readonly sandbox: LoadedSandbox;
  readonly step: SandboxStep | undefined;
  readonly stepId: string;
  readonly limits: Limits;
  readonly redisUrl: string | undefined;
  readonly modulesDir: string | null;
  /** The run folder, once created. */
  dir: string | null = null;
  /** Allocated port numbers by manifest port name, once allocated. */
  ports: Record<string, number> = {};
  state: RunState = 'idle';

  #files: FileMap;
  #onMessage: (m: ServerMessage) => void;
  #onEnd: ((run: Run) => void) | undefined;
  #previewUrl: ((port: string) => string) | undefined;
  #processes: ManagedProcess[];
  /** Process groups that may hold processes of this run (leaders, checks, escaped descendants). */
  #pgids = new Set<number>();
  #hosts = new Map<string, string>();
  #abort = new AbortController();
  #inner: Promise<void> | null = null;
  #startPromise: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;
  #stopping = false;
  #timeLimit: NodeJS.Timeout | null = null;
  #sampler: NodeJS.Timeout | null = null;
  #sampling = false;
  #checks = new Set<Promise<unknown>>();
  /** Process groups of checks in progress. */
  #checkGroups = new Set<number>();
  /** The run's cgroup, where this machine allows one. */
  #cgroup: RunCgroup | null = null;
  /** Sampler ticks so far (some checks run every few ticks). */
  #ticks = 0;
  /** Non-loopback listeners already warned about. */
  #warned = new Set<string>();
  /** Stop-and-restart of a process, one at a time per process. */
  #restarts = new Map<string, Promise<void>>();
  readonly #inspectorSecret: string | undefined;
  readonly #inspectorOrigin: string | undefined;

  constructor(options: RunOptions) {
    this.id = options.id ?? randomBytes(9).toString('base64url');
    this.sandbox = options.sandbox;
    this.stepId = options.step;
    this.step = options.sandbox.manifest.steps.find((s) => s.id === options.step);
    this.limits = resolveLimits(options.limits);
    this.redisUrl = options.redisUrl || undefined;
    this.modulesDir = options.modulesDir === undefined ? defaultModulesDir() : options.modulesDir;
    this.#files = options.files;
    this.#onMessage = options.onMessage ?? (() => {});
    this.#onEnd = options.onEnd;
    this.#previewUrl = options.previewUrl;
    this.#inspectorSecret = options.inspectorSecret;
    this.#inspectorOrigin = options.inspectorOrigin;
    const owners = portOwners(options.sandbox.manifest.processes);
    this.#processes = options.sandbox.manifest.processes.map((spec) => ({
      spec,
      child: null,
      pid: undefined,
      state: 'waiting',
      exited: null,
      generation: 0,
      killRequested: false,
      failReason: null,
      replaced: spec.role === 'broker' && this.redisUrl !== undefined,
      limiter: new OutputLimiter(this.limits.outputBytesPerSecond),
      dropTimer: null,
      lines: new LineWatch(),
      probeAbort: null,
      ports: owners.get(spec.name) ?? [],
    }));
  }

  #send(message: ServerMessage): void {
    try {
      this.#onMessage(message);
    } catch {
      // a listener's failure must not break the run
    }
  }

  /** Where the preview shows a port. */
  previewUrl(port: string): string {
    return this.#previewUrl ? this.#previewUrl(port) : `/preview/${this.id}/${port}/`;
  }

  /** Where the proxy reaches a port of this run, or null if the run has no such port. */
  target(port: string): { host: string; port: number } | null {
    if (this.#stopping || !Object.hasOwn(this.ports, port)) return null;
    return { host: this.#hosts.get(port) ?? '127.0.0.1', port: this.ports[port]! };
  }

  /** Process names and their current pids (for tests and diagnostics). */
  processes(): { name: string; state: ProcessState; pid: number | undefined }[] {
    return this.#processes.map((p) => ({ name: p.spec.name, state: p.state, pid: p.pid }));
  }

  /** The run's cgroup folders (empty where it has none): for tests and diagnostics. */
  cgroupDirs(): string[] {
    return this.#cgroup?.dirs ?? [];
  }

  /** Process groups that may still hold processes of this run. */
  groups(): number[] {
    return [...this.#pgids];
  }

  /**
   * Starts the processes in manifest order, each after the previous one is ready. Resolves
   * once all are ready (state "running"); rejects with a RunError when the run fails or is
   * stopped first (the reader has been told through messages either way).
   */
  start(): Promise<void> {
    this.#startPromise ??= (async () => {
      this.state = 'starting';
      this.#send({ type: 'run', state: 'starting' });
      this.#inner = this.#boot();
      try {
        await this.#inner;
      } catch (e) {
        if (this.#stopping) {
          await this.#stopPromise;
          throw new RunError('stopped', 'the run was stopped before it was ready');
        }
        const error = e instanceof RunError ? e : new RunError('start-failed', `The sandbox could not start: ${(e as Error).message}`);
        if (error.code !== 'start-failed') this.#send({ type: 'error', code: error.code, message: error.message });
        await this.stop({ state: 'failed', message: error.message });
        throw error;
      }
      if (this.#stopping) {
        await this.#stopPromise;
        throw new RunError('stopped', 'the run was stopped before it was ready');
      }
      this.state = 'running';
      this.#send({ type: 'run', state: 'running' });
    })();
    return this.#startPromise;
  }

  #checkStopping(): void {
    if (this.#stopping) throw new RunError('stopped', 'the run was stopped');
  }

  async #boot(): Promise<void> {
    const problem = checkFiles(this.#files, this.limits);
    if (problem) throw new RunError(problem.code, problem.message);
    if (!this.step) throw new RunError('unknown-step', `The sandbox "${this.sandbox.manifest.id}" has no step "${this.stepId}".`);
    liveRuns.add(this);
    ensureExitHook();
    this.dir = await mkdtemp(join(tmpdir(), 'hotpot-run-'));
    this.#cgroup = RunCgroup.create(`hotpot-${process.pid}-${this.id}`, { processes: this.limits.processes, memoryBytes: this.limits.memoryBytes });
    tellWatchdog({ start: { run: this.id, marker: RUN_MARKER, dir: this.dir, cgroups: this.#cgroup?.dirs ?? [] } });
    this.#checkStopping();
    for (const [path, content] of Object.entries(this.#files)) await writeInside(this.dir, path, content);
    if (this.modulesDir) await symlink(this.modulesDir, join(this.dir, 'node_modules'), 'dir');
    this.ports = await allocatePorts(Object.keys(this.sandbox.manifest.ports));
    this.#checkStopping();
    this.#timeLimit = setTimeout(() => {
      const message = limitMessages.runTime(this.limits);
      this.#send({ type: 'error', code: 'time-limit', message });
      void this.stop({ message });
    }, this.limits.runMs);
    this.#timeLimit.unref();
    // The kernel enforces the limits where the run has a cgroup; the sampler reports them (and enforces them elsewhere).
    this.#sampler = setInterval(() => void this.#sample(), SAMPLE_MS);
    this.#sampler.unref();
    for (const p of this.#processes) this.#setState(p, 'waiting');
    for (const p of this.#processes) {
      this.#checkStopping();
      const failure = await this.#launch(p);
      if (failure) throw new RunError('start-failed', failure);
    }
  }

  #setState(p: ManagedProcess, state: ProcessState, extra: { code?: number | null; signal?: string | null; message?: string } = {}): void {
    p.state = state;
    this.#send({ type: 'process', process: p.spec.name, state, ...(p.pid !== undefined ? { pid: p.pid } : {}), ...extra });
  }

  #output(p: ManagedProcess, data: string): void {
    if (data) this.#send({ type: 'output', process: p.spec.name, data });
  }

  #env(extra: Record<string, string>): Record<string, string> {
    const runner = process.env;
    const path = [this.dir ? join(this.dir, 'node_modules', '.bin') : '', dirname(process.execPath), runner.PATH ?? '']
      .filter(Boolean)
      .join(delimiter);
    const env: Record<string, string> = {
      PATH: path,
      TERM: runner.TERM || 'xterm-256color',
      FORCE_COLOR: '1',
      // Servers bind loopback: only this computer (and the runner's preview) reaches them.
      HOST: SANDBOX_HOST,
      // Inherited by every descendant: how the runner finds a process that left its group and parent.
      [RUN_MARKER]: this.id,
      // Every Node process of the run, however started, stops at the memory limit with a clear error.
      NODE_OPTIONS: `--max-old-space-size=${Math.max(16, Math.floor(this.limits.memoryBytes / MiB))}`,
    };
    if (runner.HOME) env.HOME = runner.HOME;
    if (runner.LANG) env.LANG = runner.LANG;
    for (const [k, v] of Object.entries(extra)) env[k] = withPorts(v, this.ports);
    if (this.redisUrl) env.REDIS_URL = this.redisUrl;
    if (this.#inspectorSecret) env[INSPECTOR_SECRET_ENV] = this.#inspectorSecret;
    if (this.#inspectorSecret && this.#inspectorOrigin) env[INSPECTOR_ORIGIN_ENV] = this.#inspectorOrigin;
    return env;
  }

  /** Starts a command as the leader of a new process group, in the run folder. */
  #spawn(argv: string[], env: Record<string, string>): ChildProcess {
    const [command, ...rest] = argv.map((a) => withPorts(a, this.ports));
    let file = command!;
    let args = rest;
    // The WebContainer cannot load native addons; refusing them here keeps local runs honest.
    if (file === 'node') {
      file = process.execPath;
      args = nodeArgs(rest, { version: process.versions.node });
    }
    // Into the run's cgroup before the command's first instruction (an unknown command is left to spawn to report).
    if (this.#cgroup && findCommand(file, env.PATH ?? '', this.dir!)) [file, ...args] = inCgroup(this.#cgroup.procsFiles, [file, ...args]) as [string, ...string[]];
    const child = spawn(file, args, { cwd: this.dir!, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    if (child.pid !== undefined) this.#pgids.add(child.pid);
    child.stdin?.on('error', () => {});
    return child;
  }

  #exited(child: ChildProcess): Promise<ExitInfo> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, error });
      });
    });
  }

  /** Streams a child's output into the process's terminal, within the output limit. */
  #wireOutput(p: ManagedProcess, child: ChildProcess, generation: number): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const decoder = new TextDecoder('utf-8');
      stream.on('data', (chunk: Buffer) => {
        const text = decoder.decode(chunk, { stream: true });
        if (generation === p.generation) p.lines.feed(text);
        // Node's own words when a process reaches the heap cap (NODE_OPTIONS above).
        if (HEAP_OUT.test(text)) this.#limitHit('memory-limit', limitMessages.memory(this.limits, `"${p.spec.name}" ran out of it`));
        const { pass, report } = p.limiter.take(chunk.length, Date.now());
        if (report) this.#output(p, limitMessages.outputDropped(this.limits, report));
        if (pass) this.#output(p, text);
        else this.#scheduleDropReport(p);
      });
      stream.on('end', () => this.#output(p, decoder.decode()));
      stream.on('error', () => {});
    }
  }

  #scheduleDropReport(p: ManagedProcess): void {
    if (p.dropTimer) return;
    p.dropTimer = setTimeout(() => {
      p.dropTimer = null;
      const dropped = p.limiter.flush(Date.now());
      if (dropped) this.#output(p, limitMessages.outputDropped(this.limits, dropped));
      else if (p.limiter.dropping) this.#scheduleDropReport(p);
    }, p.limiter.remaining(Date.now()) + 10);
    p.dropTimer.unref();
  }

  /**
   * Starts one process and waits for its readiness probe. Returns null once it is ready, or
   * the reason it is not (exit before ready, timeout). Throws RunError when the run stops.
   */
  async #launch(p: ManagedProcess): Promise<string | null> {
    const generation = ++p.generation;
    const name = p.spec.name;
    if (p.replaced) {
      this.#output(p, `${DIM}[hotpot] not started: this runner uses the Redis at ${safeUrl(this.redisUrl!)} (--redis-url).${RESET}\r\n`);
      this.#setState(p, 'ready', { message: 'replaced by --redis-url' });
      return null;
    }
    this.#checkStopping();
    p.killRequested = false;
    p.failReason = null;
    p.lines.reset();
    p.limiter.flush(Date.now(), true);
    const child = this.#spawn(p.spec.command, this.#env(p.spec.env));
    p.child = child;
    p.pid = child.pid;
    const exited = this.#exited(child);
    p.exited = exited;
    this.#wireOutput(p, child, generation);
    this.#setState(p, 'starting');

    const probe = p.spec.ready;
    let ready = false;
    void exited.then((info) => {
      if (generation !== p.generation) return;
      p.probeAbort?.abort(new Error('exited'));
      const dropped = p.limiter.flush(Date.now(), true);
      if (dropped) this.#output(p, limitMessages.outputDropped(this.limits, dropped));
      const detail = { code: info.code, signal: info.signal };
      if (info.error) this.#setState(p, 'failed', { ...detail, message: `"${name}": ${describeSpawnError(info.error, p.spec)}` });
      else if (p.killRequested) this.#setState(p, 'killed', detail);
      else if (p.failReason) this.#setState(p, 'failed', { ...detail, message: p.failReason });
      else if (!ready && !this.#stopping) this.#setState(p, 'failed', { ...detail, message: `"${name}" ${describeExit(info)} before it was ready` });
      else this.#setState(p, 'exited', detail);
    });

    if (child.pid === undefined) {
      const info = await exited;
      return `"${name}": ${info.error ? describeSpawnError(info.error, p.spec) : describeExit(info)}`;
    }
    if (probe) {
      const abort = new AbortController();
      p.probeAbort = abort;
      const onRunAbort = () => abort.abort(this.#abort.signal.reason);
      this.#abort.signal.addEventListener('abort', onRunAbort, { once: true });
      let outcome: ReadyOutcome;
      try {
        outcome = await raceReady(
          probe,
          { ...localProbes, ports: this.ports, onHost: (port, host) => this.#hosts.set(port, host) },
          { abort, lines: p.lines, exited, timeoutMs: p.spec.readyTimeoutMs },
        );
      } finally {
        this.#abort.signal.removeEventListener('abort', onRunAbort);
      }
      if (generation !== p.generation) return null; // a newer launch took over; it reports
      if (outcome === 'aborted' && this.#stopping) throw new RunError('stopped', 'the run was stopped');
      if (outcome !== 'ready') {
        const reason = await notReadyReason(name, probe, outcome, p.spec.readyTimeoutMs, () => exited);
        if (child.exitCode === null && child.signalCode === null) {
          // Not ready in time: it does not stay half-started.
          p.failReason = reason;
          signalGroup(child.pid, 'SIGKILL');
          await exited;
        }
        return reason;
      }
    }
    if (generation !== p.generation) return null;
    if (child.exitCode !== null || child.signalCode !== null) return `"${name}" ${describeExit(await exited)} right after it started.`;
    ready = true;
    this.#setState(p, 'ready');
    for (const port of p.ports) this.#send({ type: 'port', port, url: this.previewUrl(port) });
    return null;
  }

  #process(name: string): ManagedProcess {
    const p = this.#processes.find((x) => x.spec.name === name);
    if (!p) throw new RunError('unknown-process', `This sandbox has no process "${name}".`);
    return p;
  }

  #alive(p: ManagedProcess): boolean {
    return !!p.child && p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  }

  #requireActive(): void {
    if (this.#stopping || (this.state !== 'running' && this.state !== 'starting'))
      throw new RunError('not-running', 'The sandbox is not running. Press Run first.');
  }

  /** SIGKILL the process's whole group (no graceful shutdown); resolves once it has exited. */
  async kill(name: string): Promise<void> {
    const p = this.#process(name);
    this.#requireActive();
    if (p.replaced) throw new RunError('not-started', `"${name}" is not started by this runner: it uses the Redis given by --redis-url.`);
    if (!this.#alive(p)) {
      // Already gone: say so again, so a waiting page settles.
      this.#setState(p, p.state === 'waiting' ? 'waiting' : p.state);
      return;
    }
    p.killRequested = true;
    p.probeAbort?.abort(new Error('killed'));
    signalGroup(p.child!.pid!, 'SIGKILL');
    await p.exited;
  }

  /**
   * Starts the process again (killing it first if it runs) and waits for its readiness probe.
   * Restarts of one process are never interleaved: a restart asked for while one is under way
   * joins it (twenty clicks leave one process, not twenty).
   */
  restart(name: string): Promise<void> {
    const running = this.#restarts.get(name);
    if (running) return running;
    const task = this.#restartOnce(name).finally(() => this.#restarts.delete(name));
    this.#restarts.set(name, task);
    return task;
  }

  async #restartOnce(name: string): Promise<void> {
    const p = this.#process(name);
    this.#requireActive();
    if (p.replaced) {
      this.#setState(p, 'ready', { message: 'replaced by --redis-url' });
      return;
    }
    if (this.#alive(p)) {
      p.killRequested = true;
      p.probeAbort?.abort(new Error('restarted'));
      signalGroup(p.child!.pid!, 'SIGKILL');
      await p.exited;
    }
    this.#requireActive();
    const generation = p.generation + 1;
    let failure: string | null;
    try {
      failure = await this.#launch(p);
    } catch (e) {
      if (e instanceof RunError && e.code === 'stopped') return;
      failure = (e as Error).message;
    }
    // The process's own "failed" state has been sent with the exit; this says why.
    if (failure && generation === p.generation && !p.killRequested) this.#send({ type: 'error', code: 'restart-failed', message: failure });
  }

  /** Writes to the process's stdin. */
  input(name: string, data: string): void {
    const p = this.#process(name);
    this.#requireActive();
    if (!this.#alive(p) || !p.child?.stdin?.writable) throw new RunError('not-running', `"${name}" is not running.`);
    p.child.stdin.write(data);
  }

  /**
   * Runs the step's check inside the running sandbox: its files copied in, its command run like
   * a process. Sends and returns the outcome.
   */
  async check(stepId: string): Promise<CheckOutcome> {
    if (this.state !== 'running' || this.#stopping)
      throw new RunError('not-running', 'The sandbox is not running: press Run, wait until it is ready, then check again.');
    const step = this.sandbox.manifest.steps.find((s) => s.id === stepId);
    if (!step) throw new RunError('unknown-step', `This sandbox has no step "${stepId}".`);
    const task = this.#runCheck(step);
    this.#checks.add(task);
    try {
      const outcome = await task;
      this.#send({ type: 'check', step: step.id, ...outcome });
      return outcome;
    } finally {
      this.#checks.delete(task);
    }
  }

  async #runCheck(step: SandboxStep): Promise<CheckOutcome> {
    for (const file of step.check.files) {
      const content = await readFile(join(this.sandbox.dir, file));
      try {
        await writeInside(this.dir!, file, content, { replace: true });
      } catch (e) {
        // The sandbox's own processes may have replaced a folder of the check (with a link, say).
        if (e instanceof PathError)
          throw new RunError('check-files', `The check could not be put into the sandbox: ${e.message}. A process of the sandbox may have changed its folders; press Run to start afresh, then check again.`);
        throw e;
      }
    }
    this.#checkStopping();
    const env = this.#env(checkEnv(this.sandbox.manifest.processes, this.ports));
    const child = this.#spawn(step.check.command, env);
    if (child.pid !== undefined) this.#checkGroups.add(child.pid);
    const exited = this.#exited(child);
    const output = new TailBuffer(CHECK_OUTPUT_MAX);
    const closed: Promise<void>[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const decoder = new TextDecoder('utf-8');
      stream.on('data', (chunk: Buffer) => output.push(decoder.decode(chunk, { stream: true })));
      closed.push(
        new Promise((r) => {
          stream.once('close', () => (output.push(decoder.decode()), r()));
          stream.once('error', () => r());
        }),
      );
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, step.check.timeoutMs);
    const info = await exited;
    clearTimeout(timer);
    // Nothing of the check outlives it.
    if (child.pid !== undefined) {
      signalGroup(child.pid, 'SIGKILL');
      this.#pgids.delete(child.pid);
      this.#checkGroups.delete(child.pid);
    }
    await Promise.race([Promise.all(closed), sleep(1000)]);
    const verdict = checkVerdict({ exit: info, output: output.raw, timedOut, timeoutMs: step.check.timeoutMs, command: step.check.command });
    return { ...verdict, output: output.toString() };
  }

  /** Every SAMPLE_MS: count the run's processes and their memory, adopt escaped groups, forget empty ones. */
  async #sample(): Promise<void> {
    if (this.#sampling || this.#stopping) return;
    this.#sampling = true;
    try {
      const events = this.#cgroup?.events();
      if (events?.pidsRefused) return this.#limitHit('too-many-processes', limitMessages.processesRefused(this.limits));
      if (events?.oomKills) return this.#limitHit('memory-limit', limitMessages.memory(this.limits, 'the kernel ended a process that went over it'));
      const members = treeMembers(await listProcesses(), this.#pgids, this.#rootPids());
      if (this.#stopping) return;
      const live = new Set(members.map((m) => m.pgid));
      for (const g of live) this.#pgids.add(g);
      for (const g of [...this.#pgids]) if (!live.has(g) && !this.#isLeader(g)) this.#pgids.delete(g);
      if (++this.#ticks % LISTEN_EVERY === 0) this.#warnNonLoopback(members);
      const pids = this.#cgroup ? this.#cgroup.members() : members.map((m) => m.pid);
      const count = Math.max(pids.length, members.length);
      if (count > this.limits.processes) return this.#limitHit('too-many-processes', limitMessages.processes(this.limits, count));
      if (!this.#cgroup?.limitsMemory) {
        const bytes = residentBytes(pids);
        if (bytes > this.limits.memoryBytes) return this.#limitHit('memory-limit', limitMessages.memory(this.limits, `its processes held ${formatBytes(bytes)}`));
      }
    } finally {
      this.#sampling = false;
    }
  }

  /** Says once, in the process's terminal, that it listens where other computers can reach it. */
  #warnNonLoopback(members: { pid: number; pgid: number }[]): void {
    const groupOf = new Map(members.map((m) => [m.pid, m.pgid]));
    for (const l of listenersOf(members.map((m) => m.pid))) {
      if (isLoopbackAddress(l.address)) continue;
      const p = this.#processes.find((x) => this.#alive(x) && x.child!.pid === groupOf.get(l.pid));
      if (!p) continue;
      const key = `${p.spec.name} ${l.address} ${l.port}`;
      if (this.#warned.has(key)) continue;
      this.#warned.add(key);
      const shown = l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
      this.#output(
        p,
        `\r\n${YELLOW}[hotpot] warning: "${p.spec.name}" listens on ${shown}, which other computers on the network can reach. Listen on process.env.HOST (${SANDBOX_HOST}, which the runner passes): server.listen(port, process.env.HOST ?? '${SANDBOX_HOST}').${RESET}\r\n`,
      );
    }
  }

  #limitHit(code: string, message: string): void {
    if (this.#stopping) return;
    this.#send({ type: 'error', code, message });
    void this.stop({ state: 'failed', message, force: true });
  }

  /** Kills what process groups and the tree do not reach: the cgroup's members, and processes carrying the run's marker. */
  #killEscapedSync(): void {
    this.#cgroup?.kill();
    killMarkedSync(RUN_MARKER, this.id);
  }

  #escapedAlive(): boolean {
    return (this.#cgroup?.members().length ?? 0) > 0 || markedProcessesSync(RUN_MARKER, this.id).length > 0;
  }

  #rootPids(): number[] {
    return this.#processes.filter((p) => this.#alive(p)).map((p) => p.child!.pid!);
  }

  #isLeader(pgid: number): boolean {
    return this.#checkGroups.has(pgid) || this.#processes.some((p) => this.#alive(p) && p.child!.pid === pgid);
  }

  /**
   * Stops the run: SIGTERM to every process group, SIGKILL after 2 s (at once with force),
   * resolves when all have exited and the folder is removed. Idempotent.
   */
  stop(options: { state?: 'stopped' | 'failed'; message?: string; force?: boolean } = {}): Promise<void> {
    if (this.#stopPromise) return this.#stopPromise;
    this.#stopping = true;
    this.#stopPromise = this.#shutdown(options);
    return this.#stopPromise;
  }

  async #shutdown({ state = 'stopped', message, force = false }: { state?: 'stopped' | 'failed'; message?: string; force?: boolean }): Promise<void> {
    this.#abort.abort(new Error('stopped'));
    if (this.#timeLimit) clearTimeout(this.#timeLimit);
    if (this.#sampler) clearInterval(this.#sampler);
    const wasStarted = this.state !== 'idle';
    this.state = 'stopping';
    if (wasStarted) this.#send({ type: 'run', state: 'stopping' });
    // Let the start sequence notice the stop (it never waits on anything the stop holds).
    await this.#inner?.catch(() => {});
    const roots = this.#rootPids();
    for (const m of treeMembers(listProcessesSync(), this.#pgids, roots)) this.#pgids.add(m.pgid);
    const groups = [...this.#pgids];
    const deadline = Date.now() + STOP_GRACE_MS;
    if (force) killTreeSync(groups, roots);
    else {
      // Brokers last: the others may still talk to them while they shut down.
      const brokers = new Set(this.#processes.filter((p) => p.spec.role === 'broker' && this.#alive(p)).map((p) => p.child!.pid!));
      const first = groups.filter((g) => !brokers.has(g));
      for (const g of first) signalGroup(g, 'SIGTERM');
      if (brokers.size > 0) {
        await this.#waitGone(first, roots.filter((r) => !brokers.has(r)), STOP_GRACE_MS - BROKER_GRACE_MS);
        for (const g of brokers) signalGroup(g, 'SIGTERM');
      }
    }
    if (!(await this.#waitGone(groups, roots, Math.max(0, deadline - Date.now())))) {
      killTreeSync(groups, roots);
      await this.#waitGone(groups, roots, KILL_WAIT_MS);
    }
    // What left its group and parent (setsid after a double fork) is still in the cgroup, or carries the marker.
    for (const end = Date.now() + KILL_WAIT_MS; ; await sleep(POLL_MS)) {
      this.#killEscapedSync();
      if (!this.#escapedAlive() || Date.now() > end) break;
    }
    await Promise.race([Promise.all(this.#processes.map((p) => p.exited)), sleep(KILL_WAIT_MS)]);
    await Promise.race([Promise.allSettled([...this.#checks]), sleep(KILL_WAIT_MS)]);
    this.#cgroup?.remove();
    tellWatchdog({ end: this.id });
    for (const p of this.#processes) if (p.dropTimer) clearTimeout(p.dropTimer);
    if (this.dir) await rm(this.dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
    this.#pgids.clear();
    liveRuns.delete(this);
    this.state = state;
    if (wasStarted) this.#send({ type: 'run', state, ...(message ? { message } : {}) });
    this.#onEnd?.(this);
  }

  async #waitGone(groups: number[], roots: number[], ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!(await anyAlive(groups, roots))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }

  /** The exit path: SIGKILL every group of this run and remove its folder, synchronously. */
  killAllSync(): void {
    this.#stopping = true;
    if (this.#timeLimit) clearTimeout(this.#timeLimit);
    if (this.#sampler) clearInterval(this.#sampler);
    killTreeSync(this.#pgids, this.#rootPids());
    this.#killEscapedSync();
    this.#pgids.clear();
    this.#cgroup?.remove();
    if (this.dir) {
      try {
        rmSync(this.dir, { recursive: true, force: true });
      } catch {
        // nothing more can be done on the way out
      }
    }
    liveRuns.delete(this);
  }
}

/** Creates a run and starts it; the promise settles like `run.start()`. */
export function startRun(options: RunOptions): { run: Run; started: Promise<void> } {
  const run = new Run(options);
  return { run, started: run.start() };
}

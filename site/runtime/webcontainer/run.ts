// One sandbox run inside a WebContainer. Every rule (ports, node arguments, readiness, output
// limits, check verdicts, file checks) is the engine's, the same the local runner follows;
// what is here is only how to do each thing with the WebContainer API.
import type { FileMap, SandboxManifest, SandboxProcess } from '../../../sandboxes/schema.ts';
import type { ProcessState } from '../../../engine/contract.ts';
import { OutputLimiter, checkFiles, limitMessages, resolveLimits, utf8Length, type Limits } from '../../../engine/limits.ts';
import { nodeArgs, type NodeTarget } from '../../../engine/node.ts';
import { checkVerdict, describeExit, type ExitInfo } from '../../../engine/outcomes.ts';
import { checkEnv, expandProcess, portOwners, withPorts } from '../../../engine/ports.ts';
import { INSPECTOR_ORIGIN_ENV, INSPECTOR_SECRET_ENV } from '../../../engine/contract.ts';
import { LineWatch, notReadyReason, raceReady } from '../../../engine/probes.ts';
import { TailBuffer } from '../../../engine/text.ts';
import type { CheckResult, RunEvents, RunHandle, RunRequest } from '../types.ts';
import { toTree, type Container, type WebContainerProcess } from './container.ts';

/** Entries of the work folder a run keeps: the dependencies and the adapter's own files. */
export const KEPT_ENTRIES = new Set(['node_modules', '.hotpot', '.nvmrc']);
const CHECK_OUTPUT_MAX = 64 * 1024;
/** How long a killed process may take to exit before the run goes on without it. */
const EXIT_WAIT_MS = 5000;
/** One GET from inside the container; prints the status, or nothing when no one answered. */
const GET_SCRIPT =
  'const [port, path] = process.argv.slice(-2);' +
  "fetch(`http://localhost:${port}${path}`, { signal: AbortSignal.timeout(2000), headers: { 'user-agent': 'hotpot-probe' } })" +
  '.then((r) => console.log(r.status), () => {});';

/**
 * The container's open ports, for as long as it lives: a container reports a port only when it
 * opens or closes, so a run that starts later must learn what is already open from here.
 */
export class PortBoard {
  readonly open = new Map<number, string>();
  #listeners = new Set<(port: number, type: 'open' | 'close', url: string) => void>();
  readonly dispose: () => void;
  constructor(container: Container) {
    this.dispose = container.on('port', (port, type, url) => {
      if (type === 'open') this.open.set(port, url);
      else this.open.delete(port);
      for (const l of [...this.#listeners]) l(port, type, url);
    });
  }
  on(listener: (port: number, type: 'open' | 'close', url: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export interface ContainerEnvironment {
  container: Container;
  ports: PortBoard;
  /** The Node.js that runs sandbox processes, and how it runs TypeScript. */
  node: NodeTarget;
  /** Fetches a file the site built (check files under /generated/checks/…). */
  fetchAsset(path: string): Promise<Response>;
  limits?: Partial<Limits>;
}

interface Managed {
  spec: SandboxProcess;
  proc: WebContainerProcess | null;
  writer: WritableStreamDefaultWriter<string> | null;
  exited: Promise<ExitInfo> | null;
  generation: number;
  killRequested: boolean;
  ready: boolean;
  lines: LineWatch;
  probeAbort: AbortController | null;
  limiter: OutputLimiter;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class ContainerRun implements RunHandle {
  readonly #env: ContainerEnvironment;
  readonly #manifest: SandboxManifest;
  readonly #files: FileMap;
  readonly #events: RunEvents;
  readonly #limits: Limits;
  readonly #processes: Managed[];
  readonly #owners: Map<string, string[]>;
  /** A WebContainer has a port space of its own: the manifest's numbers are used as they are. */
  readonly #ports: Record<string, number>;
  /** Ports the container reported open, with the URL the preview loads. */
  get #open(): Map<number, string> {
    return this.#env.ports.open;
  }
  #unsubscribe: (() => void)[] = [];
  #stopping = false;
  #stopped: Promise<void> | null = null;
  #started: Promise<void> | null = null;
  #timeLimit: ReturnType<typeof setTimeout> | null = null;
  #checks = new Set<WebContainerProcess>();
  #state: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' = 'starting';

  /** The Broker tab's key, and this page's origin: the inspector's own host is the container's, not the page's. */
  readonly #inspectorEnv: Record<string, string>;

  constructor(env: ContainerEnvironment, request: RunRequest, events: RunEvents) {
    this.#env = env;
    this.#inspectorEnv = request.inspectorSecret ? { [INSPECTOR_SECRET_ENV]: request.inspectorSecret, [INSPECTOR_ORIGIN_ENV]: globalThis.location?.origin ?? '' } : {};
    this.#manifest = request.manifest;
    this.#files = request.files;
    this.#events = events;
    this.#limits = resolveLimits(env.limits);
    this.#ports = request.manifest.ports;
    this.#owners = portOwners(request.manifest.processes);
    this.#processes = request.manifest.processes.map((spec) => ({
      spec,
      proc: null,
      writer: null,
      exited: null,
      generation: 0,
      killRequested: false,
      ready: false,
      lines: new LineWatch(),
      probeAbort: null,
      limiter: new OutputLimiter(this.#limits.outputBytesPerSecond),
    }));
  }

  /** Starts every process in manifest order; settles once running, failed or stopped (all reported through events). */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const events = this.#events;
    events.run('starting');
    try {
      const problem = checkFiles(this.#files, this.#limits);
      if (problem) throw new Error(problem.message);
      await this.#cleanWorkFolder();
      this.#throwIfStopping();
      await this.#env.container.mount(toTree(this.#files));
      this.#listen();
      this.#timeLimit = setTimeout(() => {
        const message = limitMessages.runTime(this.#limits);
        events.error(message);
        void this.stop(message);
      }, this.#limits.runMs);
      for (const p of this.#processes) events.process(p.spec.name, 'waiting');
      for (const p of this.#processes) {
        this.#throwIfStopping();
        const failure = await this.#launch(p);
        if (failure) throw new Error(failure);
      }
      this.#throwIfStopping();
      this.#state = 'running';
      events.run('running');
    } catch (e) {
      if (this.#stopping) return;
      // A failed start leaves nothing running: the next Run needs the ports.
      this.#stopped ??= this.#shutdown('failed', (e as Error).message, false);
      await this.#stopped;
    }
  }

  #throwIfStopping(): void {
    if (this.#stopping) throw new Error('the run was stopped');
  }

  /** Each run starts from a clean folder: files of earlier steps and checks are removed. */
  async #cleanWorkFolder(): Promise<void> {
    const { fs } = this.#env.container;
    const entries = await fs.readdir('.', { withFileTypes: true });
    for (const entry of entries) if (!KEPT_ENTRIES.has(entry.name)) await fs.rm(entry.name, { recursive: true, force: true });
  }

  #listen(): void {
    const { container } = this.#env;
    this.#unsubscribe.push(
      this.#env.ports.on((port, type, url) => {
        for (const [name, number] of Object.entries(this.#ports)) {
          if (number !== port) continue;
          const owner = this.#processes.find((p) => this.#owners.get(p.spec.name)?.includes(name));
          // A port is announced once its process is ready; a closed one is taken away at once.
          if (type === 'close') this.#events.port(name, null);
          else if (!owner || owner.ready) this.#events.port(name, url);
        }
      }),
      container.on('error', (error) => this.#events.error(`The in-browser runtime reported an error: ${error.message}`)),
    );
  }

  #portsOf(p: Managed): string[] {
    return this.#owners.get(p.spec.name) ?? [];
  }

  #setState(p: Managed, state: ProcessState, detail?: string): void {
    this.#events.process(p.spec.name, state, detail);
  }

  #output(p: Managed, text: string, generation: number): void {
    if (generation === p.generation) p.lines.feed(text);
    const { pass, report } = p.limiter.take(utf8Length(text), Date.now());
    if (report) this.#events.output(p.spec.name, limitMessages.outputDropped(this.#limits, report));
    if (pass) this.#events.output(p.spec.name, text);
  }

  #argv(argv: string[]): [string, string[]] {
    const [command, ...rest] = argv;
    return [command!, command === 'node' ? nodeArgs(rest, this.#env.node) : rest];
  }

  /** Starts one process and waits for its readiness probe: null once ready, else why not. */
  async #launch(p: Managed): Promise<string | null> {
    const generation = ++p.generation;
    const name = p.spec.name;
    p.killRequested = false;
    p.ready = false;
    p.lines.reset();
    p.limiter.flush(Date.now(), true);
    this.#setState(p, 'starting');
    const { argv, env } = expandProcess(p.spec, this.#ports);
    Object.assign(env, this.#inspectorEnv);
    let proc: WebContainerProcess;
    try {
      const [command, args] = this.#argv(argv);
      proc = await this.#env.container.spawn(command, args, { env });
    } catch (e) {
      const reason = `"${name}" could not start: ${(e as Error).message}`;
      this.#setState(p, 'failed', reason);
      return reason;
    }
    if (this.#stopping || generation !== p.generation) {
      proc.kill(); // Stop (or a restart) arrived while it was spawning
      await Promise.race([proc.exit, sleep(EXIT_WAIT_MS)]);
      if (this.#stopping) throw new Error('the run was stopped');
      return null;
    }
    p.proc = proc;
    p.writer = proc.input.getWriter();
    const exited = proc.exit.then((code): ExitInfo => ({ code, signal: null }));
    p.exited = exited;
    void proc.output
      .pipeTo(new WritableStream({ write: (chunk) => this.#output(p, chunk, generation) }))
      .catch(() => undefined);
    void exited.then((info) => {
      if (generation !== p.generation) return;
      p.probeAbort?.abort(new Error('exited'));
      p.proc = null;
      p.writer = null;
      const wasReady = p.ready;
      p.ready = false;
      for (const port of this.#portsOf(p)) this.#events.port(port, null);
      if (p.killRequested) this.#setState(p, 'killed');
      else if (!wasReady && !this.#stopping) this.#setState(p, 'failed', `"${name}" ${describeExit(info)} before it was ready`);
      else this.#setState(p, info.code === 0 ? 'exited' : 'failed', describeExit(info));
    });

    const probe = p.spec.ready;
    if (probe) {
      const abort = new AbortController();
      p.probeAbort = abort;
      const outcome = await raceReady(
        probe,
        { ports: this.#ports, hosts: ['localhost'], connect: async (_host, port) => this.#open.has(port), get: (_host, port, path, signal) => this.#get(port, path, signal) },
        { abort, lines: p.lines, exited, timeoutMs: p.spec.readyTimeoutMs },
      );
      if (generation !== p.generation) return null;
      if (this.#stopping) throw new Error('the run was stopped');
      if (outcome !== 'ready') {
        const reason = await notReadyReason(name, probe, outcome, p.spec.readyTimeoutMs, () => exited);
        if (p.proc === proc) {
          proc.kill(); // not ready in time: it does not stay half-started
          await Promise.race([exited, sleep(EXIT_WAIT_MS)]);
        }
        return reason;
      }
    }
    if (generation !== p.generation) return null;
    p.ready = true;
    this.#setState(p, 'ready');
    for (const name of this.#portsOf(p)) {
      const url = this.#open.get(this.#ports[name]!);
      if (url) this.#events.port(name, url);
    }
    return null;
  }

  /** The status of a GET made from inside the container (where the sandbox's ports are), or null. */
  async #get(port: number, path: string, signal: AbortSignal): Promise<number | null> {
    if (!this.#open.has(port)) return null; // nothing listens yet: no process to spend on it
    const proc = await this.#env.container.spawn('node', ['-e', GET_SCRIPT, String(port), path]);
    const onAbort = () => proc.kill();
    signal.addEventListener('abort', onAbort, { once: true });
    let text = '';
    const drained = proc.output.pipeTo(new WritableStream({ write: (c) => void (text += c) })).catch(() => undefined);
    await proc.exit;
    await Promise.race([drained, sleep(500)]);
    signal.removeEventListener('abort', onAbort);
    const status = Number.parseInt(text.trim(), 10);
    return Number.isFinite(status) ? status : null;
  }

  #find(name: string): Managed {
    const p = this.#processes.find((x) => x.spec.name === name);
    if (!p) throw new Error(`This sandbox has no process "${name}".`);
    return p;
  }

  #requireActive(): void {
    if (this.#stopping || (this.#state !== 'running' && this.#state !== 'starting')) throw new Error('The sandbox is not running. Press Run first.');
  }

  /** Ends the process and waits until it has exited (or gives up waiting after a few seconds). */
  async #end(p: Managed): Promise<void> {
    const proc = p.proc;
    if (!proc) return;
    p.killRequested = true;
    p.probeAbort?.abort(new Error('killed'));
    proc.kill();
    await Promise.race([p.exited, sleep(EXIT_WAIT_MS)]);
  }

  async kill(name: string): Promise<void> {
    const p = this.#find(name);
    this.#requireActive();
    if (!p.proc) return void this.#setState(p, p.exited ? 'exited' : 'waiting');
    await this.#end(p);
  }

  async restart(name: string): Promise<void> {
    const p = this.#find(name);
    this.#requireActive();
    await this.#end(p);
    this.#requireActive();
    const failure = await this.#launch(p).catch((e: Error) => (this.#stopping ? null : e.message));
    if (failure) this.#events.error(failure);
  }

  input(name: string, data: string): void {
    const p = this.#find(name);
    if (!p.writer) throw new Error(`"${name}" is not running.`);
    // One writer per process: taking a new one per keystroke fails while a write is pending.
    void p.writer.write(data).catch(() => undefined);
  }

  async check(stepId: string, signal?: AbortSignal): Promise<CheckResult> {
    if (this.#state !== 'running' || this.#stopping) throw new Error('The sandbox is not running: press Run, wait until it is ready, then check again.');
    const step = this.#manifest.steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`This sandbox has no step "${stepId}".`);
    const files: FileMap = {};
    for (const f of step.check.files) {
      const res = await this.#env.fetchAsset(`/generated/checks/${this.#manifest.id}/${f}`);
      if (!res.ok) throw new Error(`the check's file ${f} could not be loaded (${res.status})`);
      files[f] = await res.text();
    }
    await this.#env.container.mount(toTree(files));
    const argv = step.check.command.map((a) => withPorts(a, this.#ports));
    const [command, args] = this.#argv(argv);
    const proc = await this.#env.container.spawn(command, args, { env: { ...checkEnv(this.#manifest.processes, this.#ports), ...this.#inspectorEnv } });
    this.#checks.add(proc);
    const output = new TailBuffer(CHECK_OUTPUT_MAX);
    const drained = proc.output.pipeTo(new WritableStream({ write: (c) => output.push(c) })).catch(() => undefined);
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), proc.kill()), step.check.timeoutMs);
    const onAbort = () => proc.kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const code = await proc.exit;
      // The reason is the last line: let the output drain after the exit (briefly).
      await Promise.race([drained, sleep(1000)]);
      if (signal?.aborted) throw new Error('the check was cancelled');
      const verdict = checkVerdict({ exit: { code, signal: null }, output: output.raw, timedOut, timeoutMs: step.check.timeoutMs, command: step.check.command });
      return { ...verdict, output: output.toString() };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#checks.delete(proc);
    }
  }

  /** Stops the run, also while it is starting; resolves once nothing of it runs. */
  stop(message?: string): Promise<void> {
    this.#stopped ??= this.#shutdown('stopped', message, true);
    return this.#stopped;
  }

  /** Ends every process (those that use the broker first), waits for their exits, lets go of every listener. */
  async #shutdown(state: 'stopped' | 'failed', message: string | undefined, awaitStart: boolean): Promise<void> {
    this.#stopping = true;
    this.#state = 'stopping';
    this.#events.run('stopping');
    if (this.#timeLimit) clearTimeout(this.#timeLimit);
    for (const p of this.#processes) p.probeAbort?.abort(new Error('stopped'));
    for (const proc of this.#checks) proc.kill();
    const brokers = this.#processes.filter((p) => p.spec.role === 'broker');
    await Promise.all(this.#processes.filter((p) => p.spec.role !== 'broker').map((p) => this.#end(p)));
    await Promise.all(brokers.map((p) => this.#end(p)));
    if (awaitStart) {
      // A process that was being spawned when Stop came is ended by the start sequence itself.
      await this.#started?.catch(() => undefined);
      await Promise.all(this.#processes.map((p) => this.#end(p)));
    }
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    for (const name of Object.keys(this.#ports)) this.#events.port(name, null);
    this.#state = state;
    this.#events.run(state, message);
  }
}

// The workbench's state and actions, apart from how they are drawn. Components read the
// signals; every action here settles (resolves or shows the reader an error).
import { batch, computed, signal } from '@preact/signals';
import type { FileMap, SandboxManifest } from '../../sandboxes/schema.ts';
import type { ProcessState } from '../../engine/contract.ts';
import type { CheckResult, RunHandle, RunState, RuntimeKind, SandboxRuntime } from '../runtime/types.ts';
import type { Connection, ConnectRequest } from './connect.ts';
import { storage } from './storage.ts';
import { fetchStepFiles, type StepFiles } from './step-files.ts';

/**
 * A step as the lesson page carries it: its names and where its files are. The files and
 * solution themselves are fetched when the step is opened (./step-files.ts), so the page's
 * HTML carries no file contents.
 */
export interface StepMeta {
  id: string;
  title: string;
  /** The step's starting file names: the file tree is drawn before the contents arrive. */
  paths: string[];
  /** The step's files and solution (JSON, named by a hash of its contents). */
  url: string;
}
export interface WorkbenchData {
  lesson: string;
  manifest: SandboxManifest;
  steps: StepMeta[];
}

/** The current step's files: on their way, here, or failed to arrive (with a Retry). */
export type StepFilesView = { state: 'loading' } | { state: 'ready'; step: string; files: StepFiles } | { state: 'error'; message: string };

export interface ProcessView {
  state: ProcessState;
  detail?: string;
}
export type CheckView =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; result: CheckResult }
  | { state: 'error'; message: string };

const MAX_OUTPUT = 512 * 1024;

/** What the workbench reports to whoever listens (the workshop client): after the fact, never asked. */
export type WorkbenchEvent =
  | { type: 'step'; lesson: string; step: string }
  | { type: 'edit'; lesson: string; step: string; path: string }
  | { type: 'run'; lesson: string; step: string; state: RunState }
  | { type: 'check'; lesson: string; step: string; ok: boolean; reason: string };

/** The workbench on this page, once it has restored the reader's state. */
export const currentWorkbench = signal<WorkbenchModel | null>(null);

export class WorkbenchModel {
  readonly data: WorkbenchData;
  readonly stepIndex = signal(0);
  readonly files = signal<FileMap>({});
  /** Whether the current step's files have arrived: until they do, the editor says so. */
  readonly stepFiles = signal<StepFilesView>({ state: 'loading' });
  readonly activeFile = signal('');
  /** Monaco and xterm load on the first interaction, not with the page. */
  readonly engaged = signal(false);
  // One short line: on a phone a longer one would wrap, and the tap that engages the workbench would shift what is under the finger.
  readonly runtimeLine = signal('Where it runs is chosen when you start.');
  readonly runtimeKind = signal<'webcontainer' | 'local' | 'none' | 'pending'>('pending');
  /** Why this runtime, and what else was tried: shown on demand, not in the line. */
  readonly runtimeDetail = signal('');
  /** The other runtime the reader may switch to, where both can run here. */
  readonly runtimeAlternative = signal<RuntimeKind | undefined>(undefined);
  readonly runState = signal<RunState>('idle');
  readonly runMessage = signal('');
  readonly processes = signal<Record<string, ProcessView>>({});
  readonly activeTerminal = signal('');
  /** Every port of the running sandbox reachable from this page, by name. */
  readonly portUrls = signal<Record<string, string>>({});
  /** The current run's key to the broker's inspector (the Broker tab sends it as ?secret=). */
  readonly inspectorSecret = signal('');
  readonly check = signal<CheckView>({ state: 'idle' });
  readonly solutionOpen = signal(false);
  readonly keysOpen = signal(false);
  /** Tab in the editor moves focus out instead of indenting (Ctrl+M toggles it). */
  readonly tabMovesFocus = signal(false);
  readonly errors = signal<string[]>([]);
  readonly passed = signal<Record<string, string>>({});
  /** Bumped when files are replaced wholesale (Reset, Solution, step change) so editors reload. */
  readonly revision = signal(0);
  /** What the running sandbox was started with: its step and files (null when nothing runs). */
  readonly runWith = signal<{ files: FileMap; step: string } | null>(null);
  /** The reader's files before the last Reset or Apply solution, offered back for this visit. */
  readonly undo = signal<{ what: 'reset' | 'solution'; step: string; files: FileMap } | null>(null);
  /** The running sandbox has another step's code: the reader switched step after Run. */
  readonly runningOtherStep = computed(() => {
    const w = this.runWith.value;
    return this.running.value && w !== null && w.step !== this.step.value.id ? this.data.steps.findIndex((s) => s.id === w.step) : -1;
  });
  /** The running sandbox has this step's code, but not the reader's latest edits. */
  readonly runningOldFiles = computed(() => {
    const w = this.runWith.value;
    return this.running.value && w !== null && w.step === this.step.value.id && w.files !== this.files.value;
  });

  /** The preview's page, and the one beside it (manifest preview.beside), once their ports are up. */
  readonly previewUrl = computed(() => this.#pageUrl(this.data.manifest.preview));
  readonly besideUrl = computed(() => this.#pageUrl(this.data.manifest.preview?.beside));

  readonly step = computed(() => this.data.steps[this.stepIndex.value]!);
  readonly running = computed(() => ['starting', 'running'].includes(this.runState.value));

  #outputs = new Map<string, string>();
  #outputListeners = new Set<(process: string, data: string) => void>();
  #runtime: Promise<SandboxRuntime | null> | null = null;
  #handle: RunHandle | null = null;
  /** Bumped by every Run and Stop: events from an older run are ignored. */
  #runSerial = 0;
  /** Bumped by every Check and step change: a stale check result is not shown. */
  #checkSerial = 0;
  #connect: (ask: ConnectRequest) => Promise<Connection>;
  /** The reader's own choice of runtime, once they switched. */
  #preference: RuntimeKind | undefined;
  /** Bumped by every connection attempt: progress and results of an older one are ignored. */
  #runtimeSerial = 0;

  /** Each step's files, fetched once (a failed fetch is forgotten, so Retry fetches again). */
  #fetched = new Map<string, Promise<StepFiles>>();
  #arrived = new Map<string, StepFiles>();
  /** Bumped by every step load: files arriving for a step the reader has left are not shown. */
  #loadSerial = 0;
  /** The current step's load: what Run waits for. */
  #loading: Promise<void> = Promise.resolve();

  #eventListeners = new Set<(event: WorkbenchEvent) => void>();
  /** Subscribes to the workbench's events; returns the unsubscribe. */
  onEvent(listener: (event: WorkbenchEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }
  #emit(event: WorkbenchEvent): void {
    for (const l of this.#eventListeners) l(event);
  }
  #where() {
    return { lesson: this.data.lesson, step: this.step.value.id };
  }

  #pageUrl(page: { port: string; path: string } | undefined): string {
    const base = page && this.portUrls.value[page.port];
    return base ? new URL(base.replace(/\/?$/, '/') + page.path.replace(/^\//, ''), location.href).href : '';
  }

  constructor(data: WorkbenchData, connect: (ask: ConnectRequest) => Promise<Connection>) {
    this.data = data;
    this.#connect = connect;
    // The first render (the server's too) shows step 1's file names; its files come in restore().
    this.activeFile.value = this.#firstFile(data.steps[0]!.paths);
    this.activeTerminal.value = data.manifest.processes[0]!.name;
  }

  /** After the page has hydrated: the reader's saved step, edits and progress (the server render knows none of them). */
  restore(): void {
    const saved = storage.step(this.data.lesson);
    const index = Math.max(0, this.data.steps.findIndex((s) => s.id === saved));
    batch(() => {
      this.#loadStep(index, true);
      this.passed.value = storage.progress()[this.data.lesson] ?? {};
    });
    // Once the page has hydrated: the server render reports nothing.
    this.runState.subscribe((state) => this.#emit({ type: 'run', ...this.#where(), state }));
    this.check.subscribe((c) => {
      if (c.state === 'done') this.#emit({ type: 'check', ...this.#where(), ok: c.result.ok, reason: c.result.reason });
      else if (c.state === 'error') this.#emit({ type: 'check', ...this.#where(), ok: false, reason: c.message });
    });
    this.#emit({ type: 'step', ...this.#where() });
    currentWorkbench.value = this;
  }

  // ---- files ---------------------------------------------------------------------------

  #firstFile(paths: string[]): string {
    const open = this.data.manifest.open;
    return open && paths.includes(open) ? open : paths[0]!;
  }

  /** A step's files and solution, fetched the first time they are needed. */
  filesOf(index: number): Promise<StepFiles> {
    const step = this.data.steps[index]!;
    let got = this.#fetched.get(step.id);
    if (!got) {
      got = fetchStepFiles(step.url).then((files) => (this.#arrived.set(step.id, files), files));
      const mine = got;
      this.#fetched.set(step.id, got);
      got.catch(() => this.#fetched.get(step.id) === mine && this.#fetched.delete(step.id));
    }
    return got;
  }

  /** The current step's starting files ({} until they have arrived). */
  get #start(): FileMap {
    const s = this.stepFiles.value;
    return s.state === 'ready' ? s.files.files : {};
  }

  #loadStep(index: number, withEdits = true): void {
    const step = this.data.steps[index]!;
    const serial = ++this.#loadSerial;
    const show = (got: StepFiles) => {
      if (serial !== this.#loadSerial) return;
      const edits = withEdits ? storage.edits(this.data.lesson, step.id) : {};
      batch(() => {
        this.stepFiles.value = { state: 'ready', step: step.id, files: got };
        this.files.value = { ...got.files, ...edits };
        if (this.files.value[this.activeFile.value] === undefined) this.activeFile.value = this.#firstFile(Object.keys(got.files));
        this.revision.value++;
      });
    };
    batch(() => {
      this.stepIndex.value = index;
      this.check.value = { state: 'idle' };
      this.#checkSerial++;
      if (this.undo.value?.step !== step.id) this.undo.value = null;
      const arrived = this.#arrived.get(step.id);
      if (arrived) return show(arrived);
      // Until they arrive: the step's file names, and no contents anyone could edit or run.
      this.stepFiles.value = { state: 'loading' };
      this.files.value = {};
      if (!step.paths.includes(this.activeFile.value)) this.activeFile.value = this.#firstFile(step.paths);
      this.revision.value++;
    });
    if (this.#arrived.has(step.id)) return void (this.#loading = Promise.resolve());
    this.#loading = this.filesOf(index).then(show, (e: Error) => {
      if (serial === this.#loadSerial) this.stepFiles.value = { state: 'error', message: `Step ${index + 1}'s files could not be loaded: ${e.message}.` };
      throw e;
    });
    this.#loading.catch(() => {}); // shown in the workbench; Run reports it again if pressed
  }

  /** Fetches the current step's files again after a failure. */
  retryStepFiles(): void {
    if (this.stepFiles.value.state === 'error') this.#loadStep(this.stepIndex.value);
  }

  /** The current step's files are here (reset and solution need them; edits are kept against them). */
  get ready(): boolean {
    return this.stepFiles.value.state === 'ready';
  }

  /** A check's verdict judged files and a run that are gone once either changes: it is taken down. */
  #forgetVerdict(): void {
    const state = this.check.value.state;
    if (state === 'done' || state === 'error') {
      this.#checkSerial++;
      this.check.value = { state: 'idle' };
    }
  }

  selectStep(index: number): void {
    if (index === this.stepIndex.value || !this.data.steps[index]) return;
    this.#loadStep(index);
    storage.saveStep(this.data.lesson, this.step.value.id);
    this.#emit({ type: 'step', ...this.#where() });
  }

  edit(path: string, contents: string): void {
    if (!this.ready || this.files.value[path] === contents) return;
    this.files.value = { ...this.files.value, [path]: contents };
    this.#forgetVerdict();
    const start = this.#start;
    const edits: FileMap = {};
    for (const [p, c] of Object.entries(this.files.value)) if (start[p] !== c) edits[p] = c;
    storage.saveEdits(this.data.lesson, this.step.value.id, edits);
    this.#emit({ type: 'edit', ...this.#where(), path });
  }

  /** Files the reader changed from the step's starting point. */
  readonly changed = computed(() => {
    const start = this.#start;
    return new Set(Object.keys(this.files.value).filter((p) => start[p] !== this.files.value[p]));
  });

  reset(): void {
    if (!this.ready) return;
    const before = this.files.value;
    storage.saveEdits(this.data.lesson, this.step.value.id, {});
    batch(() => {
      this.#loadStep(this.stepIndex.value);
      // Only worth offering back when something of the reader's was replaced.
      this.undo.value = this.#differs(before, this.files.value) ? { what: 'reset', step: this.step.value.id, files: before } : null;
    });
  }

  /** The current step's reference solution ({} until its files have arrived). */
  readonly solution = computed(() => {
    const s = this.stepFiles.value;
    return s.state === 'ready' ? s.files.solution : {};
  });

  applySolution(): void {
    if (!this.ready) return;
    const solution = this.solution.value;
    const before = this.files.value;
    batch(() => {
      this.#replaceFiles({ ...solution });
      this.solutionOpen.value = false;
      this.undo.value = this.#differs(before, solution) ? { what: 'solution', step: this.step.value.id, files: before } : null;
    });
  }

  /** Puts back the files the last Reset or Apply solution replaced. */
  undoReplace(): void {
    const undo = this.undo.value;
    if (!undo || undo.step !== this.step.value.id) return;
    batch(() => {
      this.#replaceFiles(undo.files);
      this.undo.value = null;
    });
  }

  #differs(a: FileMap, b: FileMap): boolean {
    const paths = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...paths].some((p) => a[p] !== b[p]);
  }

  /** Replaces every file of this step at once, keeping what differs from its start. */
  #replaceFiles(files: FileMap): void {
    batch(() => {
      this.files.value = files;
      if (files[this.activeFile.value] === undefined) this.activeFile.value = Object.keys(files)[0]!;
      this.revision.value++;
      this.#forgetVerdict();
    });
    const start = this.#start;
    storage.saveEdits(this.data.lesson, this.step.value.id, Object.fromEntries(Object.entries(files).filter(([p, c]) => start[p] !== c)));
  }

  // ---- output --------------------------------------------------------------------------

  output(process: string): string {
    return this.#outputs.get(process) ?? '';
  }
  onOutput(listener: (process: string, data: string) => void): () => void {
    this.#outputListeners.add(listener);
    return () => this.#outputListeners.delete(listener);
  }
  #write(process: string, data: string): void {
    const all = (this.#outputs.get(process) ?? '') + data;
    this.#outputs.set(process, all.length > MAX_OUTPUT ? all.slice(-MAX_OUTPUT) : all);
    for (const l of this.#outputListeners) l(process, data);
  }
  #note(process: string, text: string): void {
    this.#write(process, `\r\n\x1b[2m── ${text}\x1b[0m\r\n`);
  }

  // ---- runtime and run -----------------------------------------------------------------

  engage(): void {
    if (this.engaged.value) return;
    this.engaged.value = true;
    void this.runtime();
  }

  runtime(): Promise<SandboxRuntime | null> {
    this.#runtime ??= (async () => {
      this.runtimeLine.value = 'Choosing where to run…';
      const serial = ++this.#runtimeSerial;
      const { runtime, line, reason, alternative } = await this.#connect({
        preference: this.#preference,
        onProgress: (progress) => {
          if (serial === this.#runtimeSerial) this.runtimeLine.value = progress;
        },
      });
      if (serial !== this.#runtimeSerial) {
        runtime?.dispose(); // the reader switched meanwhile
        return null;
      }
      batch(() => {
        this.runtimeLine.value = line;
        this.runtimeDetail.value = reason;
        this.runtimeKind.value = runtime ? runtime.kind : 'none';
        this.runtimeAlternative.value = alternative;
      });
      return runtime;
    })();
    return this.#runtime;
  }

  /** Runs the sandbox on the other runtime from now on: the current run stops, and Run starts it there. */
  async switchRuntime(kind: RuntimeKind): Promise<void> {
    const wasRunning = this.running.value;
    this.#runSerial++;
    await this.#stopHandle();
    const old = this.#runtime;
    this.#runtime = null;
    void old?.then((r) => r?.dispose());
    this.#preference = kind;
    this.#runtimeSerial++;
    batch(() => {
      this.runState.value = wasRunning ? 'stopped' : this.runState.value;
      this.portUrls.value = {};
      this.runtimeKind.value = 'pending';
      this.runtimeAlternative.value = undefined;
    });
    if (wasRunning) await this.run();
    else await this.runtime();
  }

  #error(message: string): void {
    this.errors.value = [...this.errors.value.slice(-2), message];
  }
  dismissErrors(): void {
    this.errors.value = [];
  }

  async run(): Promise<void> {
    this.engage();
    // A new run: the verdict on the last one no longer describes what runs. (A Check that
    // starts its own run is 'running' here, and keeps going.)
    this.#forgetVerdict();
    const serial = ++this.#runSerial;
    const current = () => serial === this.#runSerial;
    // "starting" at once, even while a previous run is still being stopped.
    batch(() => {
      this.runState.value = 'starting';
      this.portUrls.value = {};
    });
    await this.#stopHandle();
    const runtime = await this.runtime();
    if (!current()) return;
    if (!runtime) return void (this.runState.value = 'idle');
    // The step's files were fetched on hydration, alongside the runtime's start: rarely waited for.
    try {
      // (Looped: the reader may open another step meanwhile, which starts its own load.)
      while (!this.ready) {
        await this.#loading;
        if (!current()) return;
      }
    } catch (e) {
      if (!current()) return;
      return void batch(() => {
        this.runState.value = 'failed';
        this.runMessage.value = `this step's files could not be loaded (${(e as Error).message})`;
      });
    }
    if (!current()) return;
    const { manifest } = this.data;
    // A new key to the broker's inspector for each run: only this page holds it.
    const inspectorSecret = newSecret();
    const request = { manifest, step: this.step.value.id, files: this.files.value, inspectorSecret };
    batch(() => {
      this.inspectorSecret.value = inspectorSecret;
      this.runWith.value = { files: request.files, step: request.step };
      this.runState.value = 'starting';
      this.runMessage.value = '';
      this.errors.value = [];
      this.processes.value = Object.fromEntries(manifest.processes.map((p) => [p.name, { state: 'waiting' as ProcessState }]));
    });
    for (const p of manifest.processes) this.#outputs.set(p.name, '');
    for (const l of this.#outputListeners) l('*', '\x1bc');
    try {
      const handle = await runtime.run(request, {
        output: (process, data) => current() && this.#write(process, data),
        process: (process, state, detail) => {
          if (!current()) return;
          this.processes.value = { ...this.processes.value, [process]: { state, detail } };
          if (state === 'killed' || state === 'exited' || state === 'failed') this.#note(process, `${process} ${state}${detail ? `: ${detail}` : ''}`);
        },
        run: (state, message) => {
          if (!current()) return;
          batch(() => {
            this.runState.value = state;
            this.runMessage.value = message ?? '';
            if (state === 'stopped' || state === 'failed') this.portUrls.value = {};
          });
          // The run ended on its own (a limit, a failed start): release it.
          if (state === 'stopped' || state === 'failed') void this.#stopHandle();
        },
        port: (port, url) => {
          if (!current()) return;
          const { [port]: _gone, ...others } = this.portUrls.value;
          // A closed port takes its preview away instead of leaving a dead address.
          this.portUrls.value = url === null ? others : { ...others, [port]: new URL(url, location.href).href };
        },
        error: (message) => current() && this.#error(message),
      });
      if (current()) this.#handle = handle;
      else void handle.stop();
    } catch (e) {
      if (!current()) return;
      batch(() => {
        this.runState.value = 'failed';
        this.runMessage.value = (e as Error).message;
      });
    }
  }

  /** Stops the current handle, if any, without touching the run state. */
  async #stopHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.runWith.value = null;
    await handle?.stop().catch((e: Error) => this.#error(`Stop: ${e.message}`));
  }

  async stop(): Promise<void> {
    // While the runtime is still being chosen or booted there is no handle yet: bumping the
    // serial is what stops that run, which then never starts its processes (or stops them
    // the moment its handle arrives).
    if (!this.#handle && this.runState.value !== 'starting') return;
    const serial = ++this.#runSerial;
    this.runState.value = 'stopping';
    await this.#stopHandle();
    if (serial !== this.#runSerial) return; // a new Run began meanwhile: its state stands
    batch(() => {
      this.runState.value = 'stopped';
      this.portUrls.value = {};
    });
  }

  async kill(process: string): Promise<void> {
    await this.#handle?.kill(process).catch((e: Error) => this.#error(`Kill ${process}: ${e.message}`));
  }

  async restart(process: string): Promise<void> {
    this.#note(process, `restarting ${process}`);
    await this.#handle?.restart(process).catch((e: Error) => this.#error(`Restart ${process}: ${e.message}`));
  }

  input(process: string, data: string): void {
    try {
      this.#handle?.input(process, data);
    } catch (e) {
      this.#error((e as Error).message);
    }
  }

  /** Runs the step's check in a sandbox that has the reader's current files, starting it when needed. */
  async runCheck(): Promise<void> {
    const step = this.step.value.id;
    const serial = ++this.#checkSerial;
    const stale = () => serial !== this.#checkSerial;
    this.check.value = { state: 'running' };
    try {
      const upToDate = this.runWith.value?.files === this.files.value && this.runWith.value.step === step;
      if (this.runState.value === 'starting' && upToDate) await this.#until(() => this.runState.value !== 'starting', 180_000);
      else if (this.runState.value !== 'running' || !upToDate) {
        await this.run();
        await this.#until(() => this.runState.value !== 'starting', 180_000);
      }
      if (stale()) return;
      if (this.runtimeKind.value === 'none') throw new Error(this.runtimeLine.value);
      if ((this.runState.value as RunState) !== 'running') throw new Error(`the sandbox did not start: ${this.runMessage.value || this.runState.value}`);
      const handle = this.#handle;
      if (!handle) throw new Error('the sandbox is not running');
      const result = await handle.check(step);
      if (stale()) return;
      this.check.value = { state: 'done', result };
      if (result.ok) {
        storage.markPassed(this.data.lesson, step);
        this.passed.value = { ...this.passed.value, [step]: new Date().toISOString() };
      }
    } catch (e) {
      if (!stale()) this.check.value = { state: 'error', message: (e as Error).message };
    }
  }

  #until(done: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (dispose(), reject(new Error(`the sandbox did not start within ${timeoutMs / 1000} s`))), timeoutMs);
      const dispose = this.runState.subscribe(() => {
        if (done()) queueMicrotask(() => (clearTimeout(timer), dispose(), resolve()));
      });
    });
  }

  dispose(): void {
    this.#runSerial++;
    void this.#stopHandle();
    void this.#runtime?.then((r) => r?.dispose());
  }
}

/** 32 URL-safe random characters (24 bytes). */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_');
}

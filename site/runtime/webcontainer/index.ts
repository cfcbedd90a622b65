// The WebContainer adapter: Node.js inside the browser tab (StackBlitz's WebContainer API).
// Its boot needs StackBlitz's servers, which test machines cannot reach: the adapter is kept
// small and everything around it (selection, timeout, fallback) is tested without it.
import type { FileSystemTree, WebContainer, WebContainerProcess } from '@webcontainer/api';
import { withPorts, type FileMap, type SandboxManifest, type SandboxProcess } from '../../../sandboxes/schema.ts';
import { WEBCONTAINER_FAILED_KEY as FAILED_KEY, webContainerBlocker, withTimeout } from '../select.ts';
import type { CheckResult, RunEvents, RunHandle, RunRequest, SandboxRuntime } from '../types.ts';


// One boot per page, ever: WebContainer allows a single instance, and a boot that never
// settles (StackBlitz unreachable) would block every later boot() call. Later attempts
// race the same promise against a fresh timeout instead of queueing behind it.
let booting: Promise<WebContainer> | null = null;


export async function connectWebContainer(timeoutMs: number): Promise<SandboxRuntime> {
  booting ??= import('@webcontainer/api').then(async ({ WebContainer }) => {
    const wc = await WebContainer.boot({ coep: 'require-corp', workdirName: 'sandbox' });
    // The sandbox's dependencies: a snapshot built with the site, never an npm install here.
    const modules = await fetch('/generated/sandbox-modules.bin').then((r) => {
      if (!r.ok) throw new Error(`the dependency snapshot is missing (${r.status})`);
      return r.arrayBuffer();
    });
    await wc.mount(modules);
    return wc;
  });
  const wc = await withTimeout(booting, timeoutMs, 'WebContainer boot (is StackBlitz reachable?)');
  try {
    sessionStorage.removeItem(FAILED_KEY);
  } catch {
    /* storage blocked: nothing was recorded either */
  }
  return new WebContainerRuntime(wc);
}

function toTree(files: FileMap): FileSystemTree {
  const tree: FileSystemTree = {};
  for (const [path, contents] of Object.entries(files)) {
    const parts = path.split('/');
    let dir = tree;
    for (const part of parts.slice(0, -1)) {
      const node = (dir[part] ??= { directory: {} });
      if (!('directory' in node)) throw new Error(`${path}: ${part} is a file, not a folder`);
      dir = node.directory;
    }
    dir[parts.at(-1)!] = { file: { contents } };
  }
  return tree;
}

// Node in the container strips TypeScript types like Node 22 does locally.
const nodeArgs = (command: string[]) => ['--experimental-strip-types', '--no-warnings', ...command.slice(1)];

class WebContainerRuntime implements SandboxRuntime {
  readonly kind = 'webcontainer' as const;
  readonly reason = 'WebContainer';
  #wc: WebContainer;
  constructor(wc: WebContainer) {
    this.#wc = wc;
  }
  async run(request: RunRequest, events: RunEvents): Promise<RunHandle> {
    // Only reachable with ?runtime=webcontainer (automatic selection avoids it): say why at once.
    const blocker = webContainerBlocker(request.manifest);
    if (blocker) throw new Error(`${blocker}; add ?runtime=local to run it with the local runner`);
    const run = new WebContainerRun(this.#wc, request, events);
    void run.start();
    return run;
  }
  dispose(): void {}
}

class WebContainerRun implements RunHandle {
  #wc: WebContainer;
  #manifest: SandboxManifest;
  #events: RunEvents;
  #files: FileMap;
  #procs = new Map<string, WebContainerProcess>();
  #writers = new Map<string, WritableStreamDefaultWriter<string>>();
  #ports: Record<string, number>;
  #unsubscribe: (() => void)[] = [];
  #stopped = false;

  constructor(wc: WebContainer, request: RunRequest, events: RunEvents) {
    this.#wc = wc;
    this.#manifest = request.manifest;
    this.#events = events;
    this.#files = request.files;
    // A WebContainer has its own port space: the manifest's ports are used as they are.
    this.#ports = request.manifest.ports;
  }

  async start(): Promise<void> {
    const { manifest, events } = { manifest: this.#manifest, events: this.#events };
    try {
      events.run('starting');
      await this.#wc.mount(toTree(this.#files));
      this.#unsubscribe.push(
        this.#wc.on('port', (port, type, url) => {
          const name = Object.entries(this.#ports).find(([, p]) => p === port)?.[0];
          if (name && type === 'open') events.port(name, url);
        }),
      );
      for (const p of manifest.processes) {
        if (this.#stopped) return;
        await this.#spawn(p);
      }
      if (!this.#stopped) events.run('running');
    } catch (e) {
      if (this.#stopped) return;
      // A failed start leaves nothing running: the next Run needs the ports.
      this.#killAll();
      events.run('failed', (e as Error).message);
    }
  }

  #killAll(): void {
    for (const proc of this.#procs.values()) proc.kill();
    this.#procs.clear();
    this.#writers.clear();
  }

  async #spawn(p: SandboxProcess): Promise<void> {
    const events = this.#events;
    events.process(p.name, 'starting');
    const env = Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, withPorts(v, this.#ports)]));
    const argv = p.command.map((a) => withPorts(a, this.#ports));
    const proc = await this.#wc.spawn(argv[0]!, argv[0] === 'node' ? nodeArgs(argv) : argv.slice(1), { env });
    if (this.#stopped) return proc.kill(); // Stop arrived while it was spawning
    this.#procs.set(p.name, proc);
    this.#writers.set(p.name, proc.input.getWriter());
    let ready = !p.ready;
    let lineBuffer = '';
    const pattern = p.ready?.type === 'log' ? new RegExp(p.ready.pattern) : null;
    const readyByLog = new Promise<void>((resolve) => {
      void proc.output.pipeTo(
        new WritableStream({
          write: (chunk) => {
            events.output(p.name, chunk);
            if (pattern && !ready) {
              lineBuffer = (lineBuffer + chunk).slice(-4096);
              if (pattern.test(lineBuffer.replace(/\x1b\[[0-9;]*m/g, ''))) (ready = true), resolve();
            }
          },
        }),
      );
    });
    void proc.exit.then((code) => {
      if (this.#procs.get(p.name) === proc) events.process(p.name, code === 0 ? 'exited' : 'failed', `exit code ${code}`);
    });
    if (p.ready) {
      const port = p.ready.type === 'log' ? null : this.#ports[p.ready.port]!;
      const probe =
        port === null
          ? readyByLog
          : new Promise<void>((resolve) => {
              const off = this.#wc.on('port', (opened, type) => opened === port && type === 'open' && (off(), resolve()));
              this.#unsubscribe.push(off);
            });
      await withTimeout(probe, p.readyTimeoutMs, `${p.name} getting ready`);
    }
    if (!this.#stopped) events.process(p.name, 'ready');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#events.run('stopping');
    this.#killAll();
    this.#unsubscribe.forEach((off) => off());
    this.#events.run('stopped');
  }

  async kill(name: string): Promise<void> {
    this.#procs.get(name)?.kill();
    this.#procs.delete(name);
    this.#writers.delete(name);
    this.#events.process(name, 'killed');
  }

  async restart(name: string): Promise<void> {
    const p = this.#manifest.processes.find((x) => x.name === name);
    if (!p) throw new Error(`no process named ${name}`);
    this.#procs.get(name)?.kill();
    await this.#spawn(p);
  }

  input(name: string, data: string): void {
    // One writer per process: taking a new one per keystroke fails while a write is pending.
    void this.#writers.get(name)?.write(data).catch(() => undefined);
  }

  async check(stepId: string, signal?: AbortSignal): Promise<CheckResult> {
    const step = this.#manifest.steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`no step ${stepId}`);
    const files: FileMap = {};
    for (const f of step.check.files) {
      const res = await fetch(`/generated/checks/${this.#manifest.id}/${f}`);
      if (!res.ok) throw new Error(`check file ${f} is missing (${res.status})`);
      files[f] = await res.text();
    }
    await this.#wc.mount(toTree(files));
    const argv = step.check.command.map((a) => withPorts(a, this.#ports));
    const env = Object.fromEntries(this.#manifest.processes.flatMap((p) => Object.entries(p.env)).map(([k, v]) => [k, withPorts(v, this.#ports)]));
    const proc = await this.#wc.spawn(argv[0]!, argv[0] === 'node' ? nodeArgs(argv) : argv.slice(1), { env });
    let output = '';
    const drained = proc.output.pipeTo(new WritableStream({ write: (c) => void (output += c) })).catch(() => undefined);
    signal?.addEventListener('abort', () => proc.kill(), { once: true });
    const code = await withTimeout(proc.exit, step.check.timeoutMs, 'the check').catch((e: Error) => (proc.kill(), e));
    // The reason is the last line: wait (briefly) for the output to drain after exit.
    await withTimeout(drained, 1000, 'output').catch(() => undefined);
    if (code instanceof Error) return { ok: false, reason: code.message, output };
    const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
    return { ok: code === 0, reason: lines.at(-1) ?? (code === 0 ? 'passed' : `failed with exit code ${code}`), output };
  }
}

// The WebContainer adapter: Node.js inside the browser tab (StackBlitz's WebContainer API).
// Its boot needs StackBlitz's servers, which test machines cannot reach: the boot is kept
// here, small; everything after it runs through `ContainerRun` (run.ts), which the tests
// drive against a stand-in that runs real processes.
import type { WebContainer } from '@webcontainer/api';
import { parseVersion, typeScriptSupport, type NodeTarget } from '../../../engine/node.ts';
import { WEBCONTAINER_FAILED_KEY as FAILED_KEY, webContainerBlocker, withTimeout } from '../select.ts';
import type { RunEvents, RunHandle, RunRequest, SandboxRuntime } from '../types.ts';
import { asContainer, type Container } from './container.ts';
import { ContainerRun, PortBoard, type ContainerEnvironment } from './run.ts';

/**
 * The Node.js a container should run. StackBlitz selects Node 22 from an exact version in
 * `engines.node` or an `.nvmrc` at the project root; a range such as "22.x" is not known to
 * work (webcontainer-core issue 560, comment of 2026-01-26; Node 22 became the default in
 * March 2026, withastro/astro#15864). The adapter probes what it actually got either way.
 */
export const CONTAINER_NODE = 'v22.22.0';
/** Where the type-stripping loader is mounted when the container's Node cannot strip types itself. */
export const STRIP_LOADER_DIR = '.hotpot/strip-types';
/** A download that delivers nothing for this long has stalled. */
const STALL_MS = 30_000;

export interface ConnectOptions {
  /** How long the boot itself may take before the page stops waiting for it. */
  timeoutMs: number;
  onProgress?(line: string): void;
  /** The reader asked for this runtime themselves: boot even where it is held back. */
  consent?: boolean;
}

interface Booted {
  wc: WebContainer;
  node: NodeTarget;
}

// One boot per page: WebContainer allows a single instance, and a boot that never settles
// (StackBlitz unreachable) would block every later boot() call. Later attempts race the same
// pending boot against a fresh timeout instead of queueing behind it; a boot that failed, or
// whose set-up failed, is torn down and forgotten, so the next attempt starts over without a
// page reload.
let instance: Promise<WebContainer> | null = null;
let ready: Promise<Booted> | null = null;
let progress: ((line: string) => void) | undefined;

/**
 * Where booting is known to risk the tab (TutorialKit holds it back on iOS and iPadOS, whose
 * tabs run out of memory), the boot waits for the reader to ask. Tested by what the device
 * reports, never by its name: a touch-first device that does not report at least 4 GB.
 */
export class BootHeldBack extends Error {
  override name = 'BootHeldBack';
}

export function bootHeldBack(): string | undefined {
  const coarse = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  if (coarse && !(memory !== undefined && memory >= 4))
    return 'Running Node.js inside this tab can use more memory than this device gives a tab. Choose "Run in this browser" to try anyway.';
  return undefined;
}

export async function connectWebContainer(options: ConnectOptions): Promise<SandboxRuntime> {
  progress = options.onProgress;
  if (!instance && !options.consent) {
    const held = bootHeldBack();
    if (held) throw new BootHeldBack(held);
  }
  ready ??= setUp(options.timeoutMs).catch((e: Error) => {
    ready = null;
    throw e;
  });
  const booted = await ready;
  try {
    sessionStorage.removeItem(FAILED_KEY);
  } catch {
    /* storage blocked: nothing was recorded either */
  }
  const { wc, node } = booted;
  return new WebContainerRuntime({ container: asContainer(wc), node, fetchAsset: (path) => fetch(path) }, () => {
    wc.teardown();
    instance = null;
    ready = null;
  });
}

async function setUp(timeoutMs: number): Promise<Booted> {
  progress?.('Starting Node.js in your browser…');
  instance ??= import('@webcontainer/api')
    .then(({ WebContainer }) => WebContainer.boot({ coep: 'require-corp', workdirName: 'sandbox' }))
    .catch((e: Error) => {
      instance = null;
      throw e;
    });
  const wc = await withTimeout(instance, timeoutMs, 'Starting Node.js in this browser (is StackBlitz reachable?)');
  try {
    // Errors the container reports while setting up (blocked cookies or storage, per
    // StackBlitz's troubleshooting guide) end the set-up with their own words.
    let offError = () => {};
    const failed = new Promise<never>((_, reject) => {
      offError = wc.on('error', (e) => reject(new Error(e.message)));
    });
    const steps = prepareContainer(asContainer(wc), download);
    const node = await Promise.race([steps, failed]).finally(offError);
    progress?.(`Node.js ${node.version} is ready in this browser`);
    return { wc, node };
  } catch (e) {
    wc.teardown();
    instance = null;
    throw e;
  }
}

/**
 * What a freshly booted container gets before any run: the Node.js version to select, the
 * sandboxes' dependencies, and (where its Node needs it) the type-stripping loader.
 */
export async function prepareContainer(container: Container, fetchBuilt: (path: string, what: string) => Promise<ArrayBuffer | Uint8Array>): Promise<NodeTarget> {
  await container.mount({ '.nvmrc': { file: { contents: `${CONTAINER_NODE}\n` } } });
  await container.mount(await fetchBuilt('/generated/sandbox-modules.bin', 'dependencies'));
  return withTimeout(
    probeNode(container, () => fetchBuilt('/generated/strip-types.bin', 'TypeScript support')),
    STALL_MS,
    'Asking Node.js for its version',
  );
}

/** Fetches a build file with progress in the status line; a download that stalls fails. */
async function download(path: string, what: string): Promise<ArrayBuffer> {
  const abort = new AbortController();
  let stall = setTimeout(() => abort.abort(), STALL_MS);
  try {
    const res = await fetch(path, { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`the ${what} could not be loaded (${res.status})`);
    const total = Number(res.headers.get('content-length')) || 0;
    const kb = (n: number) => `${Math.round(n / 1024).toLocaleString('en')} KB`;
    const chunks: Uint8Array[] = [];
    let received = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      clearTimeout(stall);
      stall = setTimeout(() => abort.abort(), STALL_MS);
      chunks.push(value);
      received += value.length;
      progress?.(total ? `Loading ${what}, ${kb(received)} of ${kb(total)}…` : `Loading ${what}, ${kb(received)}…`);
    }
    const all = new Uint8Array(received);
    let at = 0;
    for (const c of chunks) all.set(c, at), (at += c.length);
    return all.buffer;
  } catch (e) {
    if (abort.signal.aborted) throw new Error(`the ${what} stopped downloading (nothing arrived for ${STALL_MS / 1000} s)`);
    throw e;
  } finally {
    clearTimeout(stall);
  }
}

/**
 * Which Node.js the container runs, and how it will run TypeScript: natively, with
 * `--experimental-strip-types`, or (Node 20) through a loader that strips types with amaro,
 * the stripper Node itself uses, fetched only then.
 */
export async function probeNode(container: Container, fetchLoader: () => Promise<ArrayBuffer | Uint8Array>): Promise<NodeTarget> {
  const proc = await container.spawn('node', ['--version']);
  let text = '';
  await Promise.all([proc.output.pipeTo(new WritableStream({ write: (c) => void (text += c) })).catch(() => undefined), proc.exit]);
  const version = text.trim().replace(/^v/, '');
  if (!parseVersion(version)) throw new Error(`could not tell which Node.js runs here (node --version said ${JSON.stringify(text.trim().slice(0, 80))})`);
  const support = typeScriptSupport(version);
  if (support === 'none') throw new Error(`this browser's Node.js is ${version}, too old to run the sandbox's TypeScript (20.6 or later is needed)`);
  if (support !== 'loader') return { version };
  await container.mount(await fetchLoader(), { mountPoint: STRIP_LOADER_DIR });
  return { version, stripLoader: `${STRIP_LOADER_DIR}/register.mjs` };
}

/** Runs sandboxes in one container, one run at a time. */
export class WebContainerRuntime implements SandboxRuntime {
  readonly kind = 'webcontainer' as const;
  readonly reason = 'WebContainer';
  #env: Omit<ContainerEnvironment, 'limits'>;
  #onDispose: () => void;
  #runs = new Set<ContainerRun>();
  constructor(env: Omit<ContainerEnvironment, 'limits' | 'ports'>, onDispose: () => void = () => env.container.teardown()) {
    this.#env = { ...env, ports: new PortBoard(env.container) };
    this.#onDispose = onDispose;
  }

  async run(request: RunRequest, events: RunEvents): Promise<RunHandle> {
    // Only reachable with ?runtime=webcontainer (automatic selection avoids it): say why at once.
    const blocker = webContainerBlocker(request.manifest);
    if (blocker) throw new Error(`${blocker}; add ?runtime=local to run it with the local runner`);
    // One run at a time: the previous one has exited before the next cleans the folder.
    await Promise.all([...this.#runs].map((r) => r.stop()));
    const run = new ContainerRun(this.#env, request, events);
    this.#runs.add(run);
    void run.start();
    return {
      stop: async () => {
        await run.stop();
        this.#runs.delete(run);
      },
      kill: (p) => run.kill(p),
      restart: (p) => run.restart(p),
      input: (p, d) => run.input(p, d),
      check: (s, signal) => run.check(s, signal),
    };
  }

  dispose(): void {
    const runs = [...this.#runs];
    this.#runs.clear();
    void Promise.all(runs.map((r) => r.stop())).finally(() => {
      this.#env.ports.dispose();
      this.#onDispose();
    });
  }
}

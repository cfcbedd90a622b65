// The node_modules every sandbox runs with, in both runtimes: only the files that the
// sandboxes' packages actually load (traced with @vercel/nft), without native addons, plus
// the embedded broker bundled to JavaScript (`hotpot-broker`).
// The same folder is symlinked into local runs and packed into the WebContainer snapshot,
// so a sandbox that works locally cannot lean on a file the browser will not have.
import { nodeFileTrace } from '@vercel/nft';
import { build, version as esbuildVersion } from 'esbuild';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, rm, writeFile, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** Packages sandbox code may import. */
export const SANDBOX_PACKAGES = ['bullmq', 'ioredis', 'ws', 'autocannon', 'piscina'] as const;

/**
 * Files sandbox servers send to the browser as they are (no import to trace): the chart
 * library the WebSockets sandbox's pages draw with, and its licence.
 */
export const SANDBOX_ASSETS = ['uplot/dist/uPlot.iife.min.js', 'uplot/dist/uPlot.min.css', 'uplot/LICENSE', 'uplot/package.json'] as const;

/**
 * The embedded broker (broker/cli.ts) as plain JavaScript, for sandboxes to run with
 * `node node_modules/hotpot-broker/cli.js --port …`: Node strips types only outside
 * node_modules, and a WebContainer runs JavaScript and WebAssembly, not redis-server.
 */
export const BROKER_PACKAGE = 'hotpot-broker';
/**
 * wasmoon stays a package of its own: its Emscripten glue finds glue.wasm beside itself.
 * bufferutil and utf-8-validate are ws's optional native speed-ups, required inside try/catch:
 * never bundled, so ws (the broker inspector's WebSocket server) always uses its JavaScript code.
 */
const BROKER_EXTERNAL = ['wasmoon', 'bufferutil', 'utf-8-validate'];

// Native addons and their loaders: a WebContainer cannot load them; msgpackr falls back to JS, and
// piscina runs without @napi-rs/nice (it only lowers worker threads' priority when asked).
const NATIVE = /node_modules\/(@napi-rs\/nice[^/]*|msgpackr-extract|@msgpackr-extract\/[^/]+|node-gyp-build-optional-packages|detect-libc)\//;

export interface PreparedModules {
  dir: string;
  files: number;
  bytes: number;
  /** Of those, the broker's bundle and what only it needs (wasmoon). */
  broker: { files: number; bytes: number };
}

export async function prepareSandboxModules(root: string, outDir: string): Promise<PreparedModules> {
  const stamp = join(outDir, '.hotpot-stamp.json');
  const lock = await readFile(join(root, 'package-lock.json'), 'utf8').catch(() => '');
  const key = JSON.stringify({
    packages: SANDBOX_PACKAGES,
    assets: SANDBOX_ASSETS,
    lockLength: lock.length,
    lockHash: hash(lock),
    broker: await brokerSourcesHash(root),
    esbuild: esbuildVersion,
  });
  const previous = await readFile(stamp, 'utf8').catch(() => '');
  if (previous) {
    const parsed = JSON.parse(previous) as { key: string } & Omit<PreparedModules, 'dir'>;
    if (parsed.key === key && parsed.broker) return { dir: join(outDir, 'node_modules'), files: parsed.files, bytes: parsed.bytes, broker: parsed.broker };
  }
  const bundle = await bundleBroker(root);
  const entry = join(root, '.hotpot-trace-entry.mjs');
  const brokerEntry = join(root, '.hotpot-trace-broker.mjs');
  await writeFile(entry, SANDBOX_PACKAGES.map((p) => `import '${p}';`).join('\n'));
  await writeFile(brokerEntry, bundle);
  let fileList: Set<string>;
  let brokerList: Set<string>;
  try {
    ({ fileList } = await nodeFileTrace([entry], { base: root }));
    ({ fileList: brokerList } = await nodeFileTrace([brokerEntry], { base: root }));
  } finally {
    await rm(entry, { force: true });
    await rm(brokerEntry, { force: true });
  }
  // The broker hands wasmoon glue.wasm's path, computed at run time (lua/wasm.ts), which a trace cannot see.
  const wasm = relative(root, join(dirname(createRequire(join(root, 'package.json')).resolve('wasmoon')), 'glue.wasm'));
  brokerList.add(wasm);
  for (const asset of SANDBOX_ASSETS) fileList.add(`node_modules/${asset}`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  let files = 0;
  let bytes = 0;
  const broker = { files: 0, bytes: 0 };
  for (const rel of [...new Set([...fileList, ...brokerList])].sort()) {
    if (!rel.startsWith('node_modules/') || NATIVE.test(rel) || rel.endsWith('.node')) continue;
    const from = join(root, rel);
    const info = await stat(from);
    if (!info.isFile()) continue;
    const to = join(outDir, rel);
    await mkdir(dirname(to), { recursive: true });
    await cp(from, to, { dereference: true });
    files++;
    bytes += info.size;
    if (!fileList.has(rel)) {
      broker.files++;
      broker.bytes += info.size;
    }
  }
  if (files === 0) throw new Error(`tracing ${SANDBOX_PACKAGES.join(', ')} found no files under ${root}/node_modules: run npm install`);
  if (!brokerList.has('node_modules/wasmoon/package.json')) throw new Error('tracing the broker bundle did not find wasmoon: run npm install');
  const pkgDir = join(outDir, 'node_modules', BROKER_PACKAGE);
  await mkdir(pkgDir, { recursive: true });
  const pkg = `${JSON.stringify({ name: BROKER_PACKAGE, private: true, description: "Hotpot's embedded Redis-compatible broker, bundled from broker/ by the site build", type: 'module', main: 'cli.js' }, null, 2)}\n`;
  for (const [name, text] of [['cli.js', bundle], ['package.json', pkg]] as const) {
    await writeFile(join(pkgDir, name), text);
    files++;
    bytes += Buffer.byteLength(text);
    broker.files++;
    broker.bytes += Buffer.byteLength(text);
  }
  await writeFile(stamp, JSON.stringify({ key, files, bytes, broker }));
  return { dir: join(outDir, 'node_modules'), files, bytes, broker };
}

/** broker/cli.ts and everything it imports, as one ES module for Node 22 (wasmoon left as an import). */
export async function bundleBroker(root: string): Promise<string> {
  const result = await build({
    entryPoints: [join(root, 'broker', 'cli.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: BROKER_EXTERNAL,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: "// Hotpot's embedded broker (broker/cli.ts and its imports), bundled by the site build. Do not edit: change broker/." },
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('bundling broker/cli.ts produced no output');
  return out.text;
}

/** Every source file of the broker, by path and content: a change to any rebuilds the bundle. */
async function brokerSourcesHash(root: string): Promise<string> {
  const dir = join(root, 'broker');
  const h = createHash('sha256');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name)).sort();
  for (const path of paths) h.update(`${relative(dir, path)}\0`).update(await readFile(path)).update('\0');
  return h.digest('hex');
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

// What the site build packs for sandboxes: the WebContainer snapshot of the sandbox modules
// (`/generated/sandbox-modules.bin`) holds the embedded broker as JavaScript with wasmoon and
// its glue.wasm, and nothing native; unpacked alone, outside the project (so nothing resolves
// from the project's own node_modules), it runs the broker and a BullMQ job with --no-addons.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { RawConn, freePort } from '../broker/harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SNAPSHOT = join(root, 'site', 'public', 'generated', 'sandbox-modules.bin');

type Node = { d: Record<string, Node> } | { f: { c: Uint8Array } };
const files = new Map<string, Uint8Array>();
let dir: string;

function walk(node: Node, path: string): void {
  if ('d' in node) for (const [name, child] of Object.entries(node.d)) walk(child, path ? `${path}/${name}` : name);
  else files.set(path, node.f.c);
}

before(async () => {
  walk(decode(readFileSync(SNAPSHOT)) as Node, '');
  dir = mkdtempSync(join(tmpdir(), 'hotpot-snapshot-'));
  for (const [path, contents] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), contents);
  }
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the snapshot holds the bundled broker, wasmoon and its glue.wasm, the chart library, and nothing native', () => {
  const cli = files.get('node_modules/hotpot-broker/cli.js');
  assert.ok(cli, 'node_modules/hotpot-broker/cli.js is in the snapshot');
  assert.deepEqual(Buffer.from(cli), readFileSync(join(root, '.hotpot', 'sandbox-modules', 'node_modules', 'hotpot-broker', 'cli.js')), 'the same file local runs use');
  assert.doesNotMatch(Buffer.from(cli).toString(), /from "\.\.?\//, 'one self-contained module: no relative imports left');
  const pkg = JSON.parse(Buffer.from(files.get('node_modules/hotpot-broker/package.json')!).toString()) as { type: string };
  assert.equal(pkg.type, 'module');
  for (const path of ['node_modules/wasmoon/package.json', 'node_modules/wasmoon/dist/index.js', 'node_modules/wasmoon/dist/glue.wasm'])
    assert.ok(files.has(path), `${path} is in the snapshot`);
  // What the WebSockets sandbox's pages load from its server: the chart library, as shipped.
  for (const asset of ['uplot/dist/uPlot.iife.min.js', 'uplot/dist/uPlot.min.css'])
    assert.deepEqual(Buffer.from(files.get(`node_modules/${asset}`) ?? []), readFileSync(join(root, 'node_modules', asset)), `${asset} is in the snapshot`);
  const wasm = files.get('node_modules/wasmoon/dist/glue.wasm')!;
  assert.deepEqual([...wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'glue.wasm is WebAssembly');
  const native = [...files.keys()].filter((p) => p.endsWith('.node') || /(^|\/)(msgpackr-extract|@msgpackr-extract|node-gyp-build-optional-packages|detect-libc)\//.test(p));
  assert.deepEqual(native, []);
  assert.ok(![...files.keys()].some((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')), 'no TypeScript to strip under node_modules');
});

test('unpacked alone, the snapshot runs the broker (Lua on WebAssembly) and a BullMQ job, without addons', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const broker = spawn(process.execPath, ['--no-addons', 'node_modules/hotpot-broker/cli.js', '--port', String(port)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  broker.stdout!.on('data', (d) => (out += d));
  broker.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => broker.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await until(() => out.includes('listening on') || broker.exitCode !== null, () => `the broker to start: ${out}`);
    assert.match(out, new RegExp(`^Hotpot broker \\(Redis-compatible\\) listening on 127\\.0\\.0\\.1:${port}\\n`));
    const conn = await RawConn.connect(port);
    assert.equal((await conn.send(['EVAL', "return redis.call('SET', KEYS[1], cjson.encode({ARGV[1]}))", '1', 'k', 'lua'])).toString(), '+OK\r\n');
    assert.equal((await conn.send(['GET', 'k'])).toString(), '$7\r\n["lua"]\r\n');
    conn.close();

    await writeFile(
      join(dir, 'job.mjs'),
      `import { Queue, Worker } from 'bullmq';
const connection = { url: process.env.REDIS_URL };
const queue = new Queue('probe', { connection });
const worker = new Worker('probe', async (job) => job.data.n * 2, { connection });
const job = await queue.add('double', { n: 21 });
const value = await new Promise((resolve, reject) => {
  worker.on('completed', (j, v) => j.id === job.id && resolve(v));
  worker.on('failed', (j, e) => reject(e));
});
console.log('result', value);
await worker.close();
await queue.close();
`,
    );
    const result = await runNode(['--no-addons', 'job.mjs'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /^result 42$/m);
  } finally {
    broker.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null }, out);
});

function runNode(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => (clearTimeout(timer), resolve({ code, output })));
  });
}

async function until(ok: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

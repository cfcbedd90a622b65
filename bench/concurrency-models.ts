// `npm run bench:concurrency-models`: the lesson's own endpoints under autocannon, one
// variant at a time on this machine, printed as ratios to the async variant; then the memory
// an idle keep-alive connection costs in one event loop, with a Node worker thread each, and
// in Python's ThreadingHTTPServer (the model of Django's runserver: a thread per
// connection), when python3 is on PATH. Not a test: timings on a shared machine are noisy,
// so they are reported, never asserted; the load generator runs on the same machine.
//
// Variants (the sandbox's files at the step named, started with `node main.ts`):
//   async        /async?ms=10, awaited 10 ms wait, one process (the reference, 1.00)
//   blocking     /blocking?ms=10, the same wait with Atomics.wait, one process
//   cpu-on-loop  /hash with pbkdf2Sync (the starting views), one process
//   cpu-offload  /hash with promisified pbkdf2 (step 2's solution), one process
//   render-1     /report, rendering on the loop, one process
//   render-N     /report, the finished sandbox: a cluster of one worker per core
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadSandbox } from '../sandboxes/load.ts';
import { freePort } from '../test/broker/harness.ts';
import { positiveInt } from './args.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    'cpu-connections': { type: 'string', default: '4' },
    idle: { type: 'string', default: '2000' },
    threads: { type: 'string', default: '50' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/concurrency-models.ts [--seconds 5] [--connections 20] [--cpu-connections 4] [--idle 2000] [--threads 50]');
  process.exit(0);
}
const SECONDS = positiveInt('seconds', values.seconds);
const CONNECTIONS = positiveInt('connections', values.connections);
const CPU_CONNECTIONS = positiveInt('cpu-connections', values['cpu-connections']);
const IDLE = positiveInt('idle', values.idle);
const THREADS = positiveInt('threads', values.threads);

const sandbox = await loadSandbox('concurrency-models');
const stepFiles = (id: string | null) => (id === null ? sandbox.steps[0]!.files : sandbox.steps.find((s) => s.id === id)!.solution);
const root = await mkdtemp(join(tmpdir(), 'hotpot-bench-cm-'));

async function folder(name: string, files: Record<string, string>) {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await symlink(join(process.cwd(), 'node_modules'), join(dir, 'node_modules')).catch(() => {});
  return dir;
}

async function startApp(dir: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--no-addons', 'main.ts'], { cwd: dir, env: { ...process.env, APP_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 100) throw new Error(`the app in ${dir} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, proc };
}
async function stop(proc: ChildProcess) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

interface Row {
  variant: string;
  rps: number;
  p50: number;
  p99: number;
}
/** CPU-bound endpoints get fewer connections: 20 queued hashes outlast any sensible timeout. */
async function measure(variant: string, dir: string, path: string, connections = CONNECTIONS): Promise<Row> {
  const { port, proc } = await startApp(dir);
  try {
    await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections, duration: 1, timeout: 30 }); // warm-up
    // A blocked server still works through the warm-up's last requests: wait until it answers.
    await fetch(`http://127.0.0.1:${port}/ping`, { signal: AbortSignal.timeout(120_000) });
    const r = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections, duration: SECONDS, timeout: 30 });
    if (r.timeouts || r.errors || r.non2xx) console.log(`  (${variant}: ${r.timeouts} timeouts, ${r.errors} errors, ${r.non2xx} non-2xx)`);
    return { variant: `${variant}, ${connections} conn.`, rps: r.requests.total / SECONDS, p50: r.latency.p50, p99: r.latency.p99 };
  } finally {
    await stop(proc);
  }
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Opens `count` keep-alive connections, each asking once, to a server on `port`; returns ms taken and the sockets. */
async function hold(port: number, count: number): Promise<{ ms: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i += 100)
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, () =>
        new Promise<void>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n'));
          sockets.push(s);
          s.once('data', () => resolve());
          s.once('error', reject);
        }),
      ),
    );
  return { ms: performance.now() - t0, sockets };
}

async function idleModel(label: string, proc: ChildProcess, port: number, count: number) {
  await new Promise((r) => setTimeout(r, 300));
  const before = rss(proc.pid!);
  const { ms, sockets } = await hold(port, count);
  await new Promise((r) => setTimeout(r, 500));
  const after = rss(proc.pid!);
  for (const s of sockets) s.destroy();
  await stop(proc);
  const per = (after - before) / count;
  console.log(`  ${label.padEnd(50)} ${String(count).padStart(5)} connections in ${(ms / 1000).toFixed(2)} s; RSS +${((after - before) / 1048576).toFixed(1)} MB, ${(per / 1024).toFixed(1)} KB each`);
  return per;
}

try {
  const start = await folder('start', stepFiles(null));
  const offload = await folder('offload', stepFiles('keep-the-others-fast'));
  const finished = await folder('finished', stepFiles('bounded-waiting'));
  console.log(`Load: autocannon, ${CONNECTIONS} connections (${CPU_CONNECTIONS} for CPU-bound endpoints), ${SECONDS} s per variant (after a 1 s warm-up), on ${availableParallelism()} cores, client on the same machine.`);
  const rows: Row[] = [];
  rows.push(await measure('async (awaited 10 ms)', start, '/async?ms=10'));
  rows.push(await measure('blocking (Atomics.wait 10 ms)', start, '/blocking?ms=10'));
  rows.push(await measure('cpu-on-loop (/hash, pbkdf2Sync)', start, '/hash', CPU_CONNECTIONS));
  rows.push(await measure('cpu-offload (/hash, pbkdf2 on the pool)', offload, '/hash', CPU_CONNECTIONS));
  rows.push(await measure('render, one process (/report)', offload, '/report', CPU_CONNECTIONS));
  rows.push(await measure(`render, cluster of ${availableParallelism()} (/report)`, finished, '/report', CPU_CONNECTIONS));
  rows.push(await measure('static file, one process', offload, '/static/hello.txt'));
  const ref = rows[0]!.rps;
  console.log(`  ${'variant'.padEnd(50)} ${'req/s'.padStart(8)} ${'p50'.padStart(7)} ${'p99'.padStart(7)}  ×async`);
  for (const r of rows)
    console.log(`  ${r.variant.padEnd(50)} ${Math.round(r.rps).toString().padStart(8)} ${`${r.p50} ms`.padStart(7)} ${`${r.p99} ms`.padStart(7)}  ${(r.rps / ref).toFixed(2)}`);
  const one = rows[4]!.rps;
  console.log(`  cluster / one process on /report: ${(rows[5]!.rps / one).toFixed(2)}×; pool / loop on /hash: ${(rows[3]!.rps / rows[2]!.rps).toFixed(2)}×`);

  console.log(`\nIdle keep-alive connections: memory (the server's RSS after minus before) and time to open them.`);
  const spawnModel = async (model: string) => {
    const proc = spawn(process.execPath, ['--no-addons', 'models.ts', model], { cwd: start, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve) => proc.on('message', (m: { type: string; port: number }) => m.type === 'listening' && resolve(m.port)));
    return { proc, port };
  };
  const loop = await spawnModel('event-loop');
  const perLoop = await idleModel('Node, one event loop (models.ts event-loop)', loop.proc, loop.port, IDLE);
  const threads = await spawnModel('threads');
  const perWorker = await idleModel('Node, a worker thread each (models.ts threads)', threads.proc, threads.port, THREADS);
  let perPython = NaN;
  const python = await new Promise<string | null>((resolve) => {
    const p = spawn('python3', ['--version']);
    p.on('error', () => resolve(null));
    p.on('exit', (code) => resolve(code === 0 ? 'python3' : null));
  });
  if (python) {
    const port = await freePort();
    const code = [
      'import http.server, sys',
      'class H(http.server.BaseHTTPRequestHandler):',
      '    protocol_version = "HTTP/1.1"',
      '    def do_GET(self):',
      '        self.send_response(200); self.send_header("content-length", "4"); self.end_headers(); self.wfile.write(b"pong")',
      '    def log_message(self, *a): pass',
      'http.server.ThreadingHTTPServer.request_queue_size = 4096',
      'http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()',
    ].join('\n');
    const proc = spawn(python, ['-c', code, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    perPython = await idleModel('Python ThreadingHTTPServer (runserver\'s model)', proc, port, IDLE);
  } else console.log('  (python3 not found: Python\'s thread-per-connection server skipped)');
  console.log(`  per connection, relative to the event loop: Node worker thread ${(perWorker / perLoop).toFixed(0)}×${Number.isNaN(perPython) ? '' : `, Python OS thread ${(perPython / perLoop).toFixed(1)}×`}`);
} finally {
  await rm(root, { recursive: true, force: true });
}

// The runner end to end: a real server on a free port, real sandbox processes (the fixture
// sandbox test/fixtures/sandboxes/echo), a real WebSocket client. No mocks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { loadSandbox } from '../../sandboxes/load.ts';
import type { FileMap } from '../../sandboxes/schema.ts';
import type { ServerMessage } from '../../engine/contract.ts';
import { createRunnerServer, type RunnerServer } from '../../runner/server.ts';
import { Client, cwdOf, fixtureDist, fixtureSandboxes, isAlive, localFetch, lookupLocalhost, upgradeStatus, waitUntil } from '../fixtures/runner-client.ts';

const TOKEN = 'test-token-0123456789abcdef';
const isolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

function assertIsolation(res: Response, where: string): void {
  for (const [k, v] of Object.entries(isolation)) assert.equal(res.headers.get(k), v, `${k} on ${where}`);
  // No other page may frame the course (clickjacking).
  assert.equal(res.headers.get('content-security-policy'), "frame-ancestors 'self'", `frame-ancestors on ${where}`);
  assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN', `X-Frame-Options on ${where}`);
}

/** A preview's origin: isolated on its own, embeddable by a cross-origin-isolated course page, framed by the course alone. */
function assertPreviewHeaders(res: Response | Record<string, unknown>, port: number, where: string): void {
  const get = (k: string) => (res instanceof Response ? res.headers.get(k) : (res[k] as string | undefined));
  assert.equal(get('cross-origin-opener-policy'), 'same-origin', `COOP on ${where}`);
  assert.equal(get('cross-origin-embedder-policy'), 'require-corp', `COEP on ${where}`);
  assert.equal(get('cross-origin-resource-policy'), 'cross-origin', `CORP on ${where}`);
  assert.equal(get('content-security-policy'), `frame-ancestors http://localhost:${port} http://127.0.0.1:${port}`, `frame-ancestors on ${where}`);
}

/** Run folders holding this file (other test files may be running sandboxes at the same time). */
async function runDirsWith(file: string): Promise<string[]> {
  const dirs = (await readdir(tmpdir())).filter((n) => n.startsWith('hotpot-run-'));
  return dirs.filter((d) => existsSync(join(tmpdir(), d, file)));
}

let starting: FileMap;

/** Starts a run and collects what the tests check: pids (with the spawner's child), preview URL, folder. */
async function startEcho(client: Client, files: FileMap) {
  client.mark();
  client.send({ type: 'run', sandbox: 'echo', step: 'answer', files });
  await client.waitFor((m) => m.type === 'run' && m.state === 'running', 'the run to be running', 45_000);
  const ready = (name: string) => client.messages.filter((m): m is Of<'process'> => m.type === 'process' && m.process === name && m.state === 'ready').at(-1)!;
  const spawnerOut = client.output('spawner');
  const grandchild = Number(/child pid (\d+)/.exec(spawnerOut)?.[1]);
  assert.ok(grandchild > 1, `the spawner printed its child's pid: ${JSON.stringify(spawnerOut)}`);
  const port = await client.waitFor<Of<'port'>>((m) => m.type === 'port' && m.port === 'web', 'the web port');
  const pids = { broker: ready('broker').pid!, web: ready('web').pid!, spawner: ready('spawner').pid!, grandchild };
  for (const [name, pid] of Object.entries(pids)) assert.ok(isAlive(pid), `${name} (${pid}) is alive while running`);
  const dir = cwdOf(pids.web);
  assert.match(dir, /hotpot-run-/);
  return { pids, previewUrl: port.url, dir };
}

async function assertGone(pids: Record<string, number>, dir: string, after: string): Promise<void> {
  await waitUntil(() => Object.values(pids).every((p) => !isAlive(p)), `every process to be gone ${after} (${JSON.stringify(pids)})`);
  await waitUntil(() => !existsSync(dir), `the run folder ${dir} to be removed ${after}`);
}

describe('runner server', () => {
  let server: RunnerServer;
  let base: string;
  let wsUrl: string;
  const auth = { 'X-Hotpot-Token': TOKEN };

  before(async () => {
    server = await createRunnerServer({ port: 0, token: TOKEN, dist: fixtureDist, sandboxesRoot: fixtureSandboxes });
    base = server.url;
    wsUrl = `${base.replace('http:', 'ws:')}/api/runner?token=${TOKEN}`;
    starting = (await loadSandbox('echo', fixtureSandboxes)).steps[0]!.files;
  });
  after(async () => {
    await server?.close();
  });

  describe('the token', () => {
    test('no token: 401 with a page pointing at npm start, isolation headers included', async () => {
      const res = await fetch(`${base}/`);
      assert.equal(res.status, 401);
      assertIsolation(res, 'the 401 page');
      assert.match(await res.text(), /npm start/);
    });

    test('a wrong token: 403 (cookie, header or query)', async () => {
      const inits: RequestInit[] = [{ headers: { cookie: `hotpot_token_${server.port}=nope` } }, { headers: { 'X-Hotpot-Token': 'nope' } }];
      for (const init of inits) {
        const res = await fetch(`${base}/`, init);
        assert.equal(res.status, 403);
        assertIsolation(res, 'the 403 page');
        await res.text();
      }
      const res = await fetch(`${base}/?token=nope`, { redirect: 'manual' });
      assert.equal(res.status, 403);
      await res.text();
    });

    test('?token= sets the cookie and redirects without it; the cookie then opens every page', async () => {
      const res = await fetch(`${base}/guide?x=1&token=${TOKEN}`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/guide?x=1');
      assert.equal(res.headers.get('set-cookie'), `hotpot_token_${server.port}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);
      assertIsolation(res, 'the redirect');
      const page = await fetch(`${base}/guide?x=1`, { headers: { cookie: `hotpot_token_${server.port}=${TOKEN}` } });
      assert.equal(page.status, 200);
      assertIsolation(page, 'a page');
      const html = await page.text();
      assert.match(html, /Fixture guide page/);
      assert.ok(html.includes(`<head><meta name="hotpot-runner-token" content="${TOKEN}">`), 'the token meta right after <head>');
    });

    test('a Host the runner does not answer to is refused before the token is looked at (DNS rebinding)', async () => {
      const withHost = (hostHeader: string, path = '/') =>
        new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
          const req = request(`${base}${path}`, { headers: { ...auth, host: hostHeader } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
          });
          req.on('error', reject);
          req.end();
        });
      for (const evil of [`attacker.example:${server.port}`, 'attacker.example', `127.0.0.1.nip.io:${server.port}`]) {
        const res = await withHost(evil);
        assert.equal(res.status, 403, evil);
        assert.match(res.body, /not one the runner answers to/, evil);
        assert.doesNotMatch(res.body, new RegExp(TOKEN), evil);
        assert.equal((await withHost(evil, '/api/runner/health')).status, 403, evil);
      }
      for (const good of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) assert.equal((await withHost(good)).status, 200, good);
      assert.equal(await upgradeStatus(wsUrl, { host: `attacker.example:${server.port}` }), 403);
    });

    test('health answers with the token', async () => {
      const res = await fetch(`${base}/api/runner/health`, { headers: auth });
      assert.equal(res.status, 200);
      assertIsolation(res, 'the API');
      assert.deepEqual(await res.json(), { ok: true, version: 1 });
      assert.equal((await fetch(`${base}/api/runner/health`)).status, 401);
    });

    test('WebSocket handshakes need the token and a same-host Origin', async () => {
      const plain = `${base.replace('http:', 'ws:')}/api/runner`;
      assert.equal(await upgradeStatus(plain), 401);
      assert.equal(await upgradeStatus(`${plain}?token=nope`), 403);
      assert.equal(await upgradeStatus(plain, { cookie: `hotpot_token_${server.port}=nope` }), 403);
      assert.equal(await upgradeStatus(wsUrl, { origin: 'http://evil.example' }), 403);
      assert.equal(await upgradeStatus(wsUrl, { origin: base }), 101);
      assert.equal(await upgradeStatus(plain, { cookie: `hotpot_token_${server.port}=${TOKEN}`, origin: base }), 101);
    });
  });

  describe('the static site', () => {
    test('index.html for / with the token embedded', async () => {
      const res = await fetch(`${base}/`, { headers: auth });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      const html = await res.text();
      assert.match(html, /<head>\n?<meta name="hotpot-runner-token" content="test-token-0123456789abcdef">/);
      assert.match(html, /Fixture home|Hotpot fixture home/);
    });

    test('content types and the long cache for /_astro/ and /steps/', async () => {
      const js = await fetch(`${base}/_astro/app.js`, { headers: auth });
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.match(js.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
      assertIsolation(js, 'a script');
      await js.text();
      const json = await fetch(`${base}/data.json`, { headers: auth });
      assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.doesNotMatch(json.headers.get('cache-control') ?? '', /immutable/);
      assert.deepEqual(await json.json(), { name: 'fixture' });
      // A step's files are named by their contents' hash: cached for good, isolated like the page.
      const step = await fetch(`${base}/steps/echo/start.abcdefghijkl.json`, { headers: auth });
      assert.equal(step.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.match(step.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
      assertIsolation(step, "a step's files");
      await step.json();
    });

    test('missing pages get dist/404.html with status 404', async () => {
      const res = await fetch(`${base}/no/such/page`, { headers: auth });
      assert.equal(res.status, 404);
      assertIsolation(res, 'the 404 page');
      const html = await res.text();
      assert.match(html, /Fixture 404 page/);
      assert.match(html, /hotpot-runner-token/);
    });

    test('nothing outside dist is reachable', async () => {
      // Sent as written (fetch would normalise "..", so plain http.request).
      const paths = ['/../../../../etc/passwd', '/..%2f..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%5c..%5cetc%5cpasswd', '/guide/../../x', '/%00', '/%E0%A4%A'];
      for (const path of paths) {
        const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request(`${base}/`, { path, headers: auth }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
        assert.equal(status, 404, path);
        assert.doesNotMatch(body, /root:/, path);
      }
    });
  });

  describe('the WebSocket API', () => {
    test('hello with the limits; garbage gets bad-message and the socket stays usable', async () => {
      const client = await Client.open(wsUrl);
      try {
        const hello = await client.waitFor<Of<'hello'>>((m) => m.type === 'hello', 'hello');
        assert.equal(hello.version, 1);
        assert.equal(hello.limits.processes, 32);
        client.mark();
        client.send('this is not json');
        const e1 = await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'an error for garbage');
        assert.equal(e1.code, 'bad-message');
        assert.match(e1.message, /not valid JSON/);
        client.mark();
        client.send({ type: 'kill' });
        const e2 = await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'an error for a bad shape');
        assert.equal(e2.code, 'bad-message');
        assert.match(e2.message, /process/);
        client.mark();
        client.send({ type: 'explode' });
        assert.equal((await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'an error for an unknown type')).code, 'bad-message');
        // Still usable: a real request gets a real answer.
        client.mark();
        client.send({ type: 'check', step: 'answer' });
        const e3 = await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'not-running');
        assert.equal(e3.code, 'not-running');
        client.mark();
        client.send({ type: 'run', sandbox: 'nope', step: 'answer', files: {} });
        assert.equal((await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'unknown-sandbox')).code, 'unknown-sandbox');
        client.mark();
        client.send({ type: 'run', sandbox: '../sandboxes', step: 'answer', files: {} });
        assert.equal((await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'unknown-sandbox for a path')).code, 'unknown-sandbox');
      } finally {
        await client.close();
      }
    });

    test('a run over the message cap gets an answer in words and the socket stays open', async () => {
      const client = await Client.open(wsUrl);
      try {
        client.mark();
        client.send({ type: 'run', sandbox: 'echo', step: 'answer', files: { 'a.txt': 'x'.repeat(5 * 1024 * 1024) } });
        const e = await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'the too-large answer');
        assert.equal(e.code, 'too-large');
        assert.match(e.message, /came to 5 MiB; one request may be at most 4 MiB/);
        assert.equal(client.closed, false, 'not closed with 1009');
        client.mark();
        client.send({ type: 'check', step: 'answer' });
        assert.equal((await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'the socket still answers')).code, 'not-running');
      } finally {
        await client.close();
      }
    });

    test('a bad path or size refuses the whole run and writes nothing', async () => {
      const client = await Client.open(wsUrl);
      try {
        // Each refused request also carries a marker file: it must appear in no run folder.
        const marker = `marker-${process.pid}-${Date.now()}.txt`;
        const cases: [FileMap, string, RegExp][] = [
          [{ ...starting, '../../etc/passwd': 'x' }, 'bad-path', /"\.\.\/\.\.\/etc\/passwd" is refused: file paths must stay inside the sandbox/],
          [{ ...starting, '/abs.txt': 'x' }, 'bad-path', /inside the sandbox/],
          [{ ...starting, 'node_modules/ws/index.js': 'x' }, 'bad-path', /node_modules/],
          [{ ...starting, 'big.txt': 'x'.repeat(512 * 1024 + 1) }, 'file-too-large', /"big.txt" is 512 KiB; a file may be at most 512 KiB/],
          [Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`f${i}.txt`, ''])), 'too-many-files', /301 files/],
        ];
        for (const [files, code, message] of cases) {
          client.mark();
          client.send({ type: 'run', sandbox: 'echo', step: 'answer', files: code === 'too-many-files' ? files : { [marker]: 'x', ...files } });
          const e = await client.waitFor<Of<'error'>>((m) => m.type === 'error', `the ${code} refusal`);
          assert.equal(e.code, code);
          assert.match(e.message, message);
        }
        assert.equal(client.messages.filter((m) => m.type === 'run' || m.type === 'process').length, 0, 'no run started');
        assert.deepEqual(await runDirsWith(marker), [], 'nothing was written');
        assert.equal(server.runs().length, 0);
      } finally {
        await client.close();
      }
    });

    test('run: output, ports, preview (HTTP, SSE, WebSocket), check, kill, restart, input, stop', async () => {
      const client = await Client.open(wsUrl);
      try {
        const { pids, previewUrl, dir } = await startEcho(client, starting);
        const web = client.output('web');
        assert.ok(web.includes('\x1b[32mlistening\x1b[0m'), `ANSI kept: ${JSON.stringify(web)}`);
        assert.ok(web.includes('ünïcödé ✓ 漢字'), 'multibyte text intact');
        // Each sandbox port has its own origin under .localhost, the same for every run of the sandbox.
        const preview = new URL(previewUrl);
        assert.match(preview.hostname, /^echo-web-[0-9a-f]{20}\.localhost$/);
        assert.equal(Number(preview.port), server.port);
        assert.equal(preview.pathname, '/');
        assert.ok(existsSync(`${dir}/server.js`) && existsSync(`${dir}/node_modules`), 'files and node_modules in the run folder');
        const states = client.messages.filter((m) => m.type === 'run').map((m) => (m as Of<'run'>).state);
        assert.deepEqual(states, ['starting', 'running']);

        // The preview, through the proxy: no token needed on its origin, and none ever reaches the sandbox.
        const cookie = `hotpot_token_${server.port}=${TOKEN}; hotpot_token=${TOKEN}; theme=dark`;
        const page = await localFetch(previewUrl);
        assert.equal(page.status, 200);
        assertPreviewHeaders(page, server.port, 'the preview');
        const text = await page.text();
        assert.match(text, /Echo preview page/);
        assert.doesNotMatch(text, /hotpot-runner-token/, 'no token in a preview page');
        const echoed = (await (await localFetch(`${previewUrl}headers?a=1`, { headers: { cookie, 'X-Hotpot-Token': TOKEN } })).json()) as {
          headers: Record<string, string>;
          url: string;
        };
        assert.equal(echoed.url, '/headers?a=1', 'the path as the browser sent it, query kept');
        assert.equal(echoed.headers.cookie, 'theme=dark', 'no token cookie is forwarded');
        assert.equal(echoed.headers['x-hotpot-token'], undefined, 'the token header is not forwarded');
        const own = (await (await localFetch(`${previewUrl}headers?token=the-page-s-own`)).json()) as { url: string };
        assert.equal(own.url, '/headers?token=the-page-s-own', "a token parameter belongs to the page");
        const env = (await (await localFetch(`${previewUrl}env`)).json()) as { FORCE_COLOR: string; execArgv: string[] };
        assert.equal(env.FORCE_COLOR, '1');
        assert.deepEqual(env.execArgv, ['--no-addons', '--disable-warning=ExperimentalWarning']);
        const redirect = await localFetch(`${previewUrl}redirect`);
        assert.equal(redirect.status, 302);
        assert.equal(redirect.headers.get('location'), '/headers', 'redirects stay on the preview origin');
        await redirect.text();
        // The sandbox cannot set a runner's token cookie; its own cookies pass.
        const planted = await localFetch(`${previewUrl}set-cookie?port=${server.port}`);
        assert.deepEqual(planted.headers.getSetCookie(), ['theme=light; Path=/']);
        await planted.text();
        // The preview origin serves nothing of the runner: its API and pages are the sandbox's paths.
        const api = await localFetch(`${previewUrl}api/runner/health`, { headers: auth });
        assert.equal(api.status, 404);
        assert.equal(await api.text(), 'not found', "the sandbox's own 404, not the runner's health");
        // The course's origin no longer serves previews.
        assert.equal((await fetch(`${base}/preview/${server.runs()[0]!.id}/web/`, { headers: auth })).status, 404);
        const unknown = await localFetch(`http://echo-nothing-00000000000000000000.localhost:${server.port}/`);
        assert.equal(unknown.status, 404);
        assertPreviewHeaders(unknown, server.port, 'the unknown-preview page');
        assert.match(await unknown.text(), /This preview is not running/);

        // Server-sent events flow through unbuffered: the response never ends, yet events arrive.
        const sse = await localFetch(`${previewUrl}events`);
        assert.equal(sse.headers.get('content-type'), 'text/event-stream');
        const reader = sse.body!.getReader();
        let got = '';
        const decoder = new TextDecoder();
        await Promise.race([
          (async () => {
            while (!got.includes('data: event 1')) {
              const { value, done } = await reader.read();
              if (done) break;
              got += decoder.decode(value, { stream: true });
            }
          })(),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`server-sent events did not arrive within 10 s (got ${JSON.stringify(got)})`)), 10_000)),
        ]);
        assert.match(got, /data: event 0\n\ndata: event 1/);
        await reader.cancel();

        // A WebSocket through the preview.
        let upgradeHeaders: Record<string, unknown> = {};
        const echo = await new Promise<string>((resolve, reject) => {
          const ws = new WebSocket(`${previewUrl.replace('http:', 'ws:')}socket`, { headers: { origin: preview.origin }, lookup: lookupLocalhost });
          ws.once('upgrade', (res) => (upgradeHeaders = res.headers));
          const timer = setTimeout(() => reject(new Error('no WebSocket echo through the preview within 10 s')), 10_000);
          ws.once('open', () => ws.send('ping through the proxy'));
          ws.once('message', (d) => (clearTimeout(timer), ws.close(), resolve(String(d))));
          ws.once('error', (e) => (clearTimeout(timer), reject(e)));
        });
        assert.equal(echo, 'echo: ping through the proxy');
        assertPreviewHeaders(upgradeHeaders, server.port, 'the proxied WebSocket handshake');
        // The course page (the Broker tab) may connect to a preview's sockets; another site may not.
        assert.equal(await upgradeStatus(`${previewUrl.replace('http:', 'ws:')}socket`, { origin: base }), 101);
        assert.equal(await upgradeStatus(`${previewUrl.replace('http:', 'ws:')}socket`, { origin: 'http://evil.example' }), 403);

        // The check fails with its last line (ANSI removed) as the reason.
        client.mark();
        client.send({ type: 'check', step: 'answer' });
        const failed = await client.waitFor<Of<'check'>>((m) => m.type === 'check', 'the check result');
        assert.equal(failed.ok, false);
        assert.equal(failed.reason, 'answer.txt should say 42, it says 0');
        assert.match(failed.output, /checking the answer…\nweb answered 200/);

        // Kill: the whole group at once; the preview then says the sandbox is not answering.
        client.mark();
        client.send({ type: 'kill', process: 'web' });
        const killed = await client.waitFor<Of<'process'>>((m) => m.type === 'process' && m.process === 'web' && m.state === 'killed', 'web killed');
        assert.equal(killed.signal, 'SIGKILL');
        await waitUntil(() => !isAlive(pids.web), 'the killed web process to be gone');
        const down = await localFetch(previewUrl);
        assert.equal(down.status, 502);
        assertPreviewHeaders(down, server.port, 'the 502 page');
        assert.match(await down.text(), /The sandbox is not answering/);

        // Restart: ready again, the port announced again, the preview back.
        client.mark();
        client.send({ type: 'restart', process: 'web' });
        const again = await client.waitFor<Of<'process'>>((m) => m.type === 'process' && m.process === 'web' && m.state === 'ready', 'web ready again', 30_000);
        assert.notEqual(again.pid, pids.web);
        await client.waitFor((m) => m.type === 'port' && m.port === 'web', 'the web port again');
        const back = await localFetch(previewUrl);
        assert.equal(back.status, 200);
        await back.text();

        client.mark();
        client.send({ type: 'input', process: 'spawner', data: 'hello there\n' });
        await client.waitFor((m) => m.type === 'output' && m.process === 'spawner' && m.data.includes('got input: hello there'), 'the spawner to echo its input');

        client.mark();
        client.send({ type: 'kill', process: 'nobody' });
        assert.equal((await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'unknown-process')).code, 'unknown-process');

        // Stop: every process (the grandchild too) gone, the folder removed.
        client.mark();
        client.send({ type: 'stop' });
        await client.waitFor((m) => m.type === 'run' && m.state === 'stopped', 'the run to stop');
        await assertGone({ ...pids, web: again.pid! }, dir, 'after stop');
        assert.equal(server.runs().length, 0);

        client.mark();
        client.send({ type: 'check', step: 'answer' });
        assert.equal((await client.waitFor<Of<'error'>>((m) => m.type === 'error', 'not-running after stop')).code, 'not-running');
      } finally {
        await client.close();
      }
    });

    test('a second run replaces the first; the check passes with the right answer; a slow check times out; closing the socket stops the run', async () => {
      const client = await Client.open(wsUrl);
      const first = await startEcho(client, starting);
      const second = await startEcho(client, { ...starting, 'answer.txt': '42\n' });
      await assertGone(first.pids, first.dir, 'after a second run replaced it');
      assert.notEqual(second.dir, first.dir);
      // The preview's address outlives the run: a tab left open on it shows the new run.
      assert.equal(second.previewUrl, first.previewUrl);
      assert.equal((await localFetch(second.previewUrl)).status, 200);

      client.mark();
      client.send({ type: 'check', step: 'answer' });
      const ok = await client.waitFor<Of<'check'>>((m) => m.type === 'check', 'the check result');
      assert.equal(ok.ok, true);
      assert.equal(ok.reason, 'all good: the answer is 42');

      client.mark();
      client.send({ type: 'check', step: 'slow' });
      const slow = await client.waitFor<Of<'check'>>((m) => m.type === 'check', 'the slow check result');
      assert.equal(slow.ok, false);
      assert.equal(slow.reason, 'the check took longer than 1.5 s');
      assert.match(slow.output, /thinking…/);

      await client.close();
      await assertGone(second.pids, second.dir, 'after the socket closed');
      await waitUntil(() => server.runs().length === 0, 'the server to forget the run');
    });
  });
});

describe('runner CLI', () => {
  test('SIGTERM stops every run: no process remains, the folder is removed, exit code 0', async () => {
    const cli = spawn(
      process.execPath,
      [fileURLToPath(new URL('../../runner/cli.ts', import.meta.url)), '--port', '0', '--no-build', '--dist', fixtureDist, '--sandboxes', fixtureSandboxes, '--token', TOKEN],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(() => /Hotpot is running at /.test(out) || cli.exitCode !== null, 'the CLI to print its URL');
      const m = /Hotpot is running at http:\/\/localhost:(\d+)\/\?token=(\S+)/.exec(out);
      assert.ok(m, `the CLI printed its URL with localhost and the token: ${out}${err}`);
      assert.equal(decodeURIComponent(m[2]!), TOKEN);
      const client = await Client.open(`ws://127.0.0.1:${m[1]}/api/runner?token=${TOKEN}`);
      const files = (await loadSandbox('echo', fixtureSandboxes)).steps[0]!.files;
      const { pids, dir } = await startEcho(client, files);
      cli.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      assert.equal(code, 0, `the CLI exits with 0 on SIGTERM (stderr: ${err})`);
      await assertGone(pids, dir, 'after the CLI got SIGTERM');
      await client.close();
    } finally {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
    }
  });

  test('a non-loopback host without --allow-remote is refused in one line', async () => {
    const cli = spawn(process.execPath, [fileURLToPath(new URL('../../runner/cli.ts', import.meta.url)), '--host', '0.0.0.0', '--no-build'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    cli.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(err, /^hotpot: refusing to listen on 0\.0\.0\.0: .*--allow-remote.*\n$/);
  });
});

describe('runs per server', () => {
  test('one more run than the limit is refused with a message; once one stops, a run starts again', async () => {
    const server = await createRunnerServer({ port: 0, token: TOKEN, dist: fixtureDist, sandboxesRoot: fixtureSandboxes, limits: { runs: 1 } });
    const url = `${server.url.replace('http:', 'ws:')}/api/runner?token=${TOKEN}`;
    const files = (await loadSandbox('misbehave', fixtureSandboxes)).steps[0]!.files;
    const a = await Client.open(url);
    const b = await Client.open(url);
    try {
      a.send({ type: 'run', sandbox: 'misbehave', step: 'only', files });
      await a.waitFor((m) => m.type === 'run' && m.state === 'running', 'the first run to be running', 30_000);
      b.mark().send({ type: 'run', sandbox: 'misbehave', step: 'only', files });
      const refused = await b.waitFor<Of<'error'>>((m) => m.type === 'error', 'the refusal');
      assert.equal(refused.code, 'too-many-runs');
      assert.equal(refused.message, 'A sandbox is already running on this runner, the most it runs at once. Stop one (or close its tab) and press Run again.');
      a.mark().send({ type: 'stop' });
      await a.waitFor((m) => m.type === 'run' && m.state === 'stopped', 'the first run to stop');
      b.mark().send({ type: 'run', sandbox: 'misbehave', step: 'only', files });
      await b.waitFor((m) => m.type === 'run' && m.state === 'running', 'the second run to be running', 30_000);
    } finally {
      await a.close();
      await b.close();
      await server.close();
    }
  });
});

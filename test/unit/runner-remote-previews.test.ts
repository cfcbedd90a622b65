// Previews for visitors on other computers: the runner listens on every address with
// --allow-remote (as `npm start -- --host 0.0.0.0 --allow-remote` does) and is reached through
// this machine's own non-loopback address, the one another computer on the network would use.
// Real server, real sandbox processes (the echo fixture), real HTTP and WebSocket clients.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { loadSandbox } from '../../sandboxes/load.ts';
import type { FileMap } from '../../sandboxes/schema.ts';
import type { ServerMessage } from '../../engine/contract.ts';
import { createRunnerServer, type RunnerServer } from '../../runner/server.ts';
import { Client, fixtureDist, fixtureSandboxes, localFetch, upgradeStatus } from '../fixtures/runner-client.ts';

const TOKEN = 'test-token-remote-0123456789';
type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** This machine's first non-loopback address of a family (what another computer would connect to), or null. */
export function outsideAddress(family: 'IPv4' | 'IPv6'): string | null {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === family && !a.address.startsWith('fe80:')) return a.address;
  return null;
}

const ipv4 = outsideAddress('IPv4');
const ipv6 = outsideAddress('IPv6');

async function runEcho(client: Client, files: FileMap): Promise<Record<string, string>> {
  client.mark();
  client.send({ type: 'run', sandbox: 'echo', step: 'answer', files });
  await client.waitFor((m) => m.type === 'run' && m.state === 'running', 'the run to be running', 45_000);
  const urls: Record<string, string> = {};
  for (const m of client.messages.slice(0)) if (m.type === 'port') urls[(m as Of<'port'>).port] = (m as Of<'port'>).url;
  return urls;
}

async function stopRun(client: Client): Promise<void> {
  client.mark();
  client.send({ type: 'stop' });
  await client.waitFor((m) => m.type === 'run' && m.state === 'stopped', 'the run to stop', 30_000);
}

function wsOpen(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => (ws.terminate(), reject(new Error('no echo within 10 s'))), 10_000);
    ws.once('open', () => ws.send('hi'));
    ws.once('message', (d) => (clearTimeout(timer), ws.close(), resolve(String(d))));
    ws.once('unexpected-response', (_q, res) => (clearTimeout(timer), res.resume(), resolve(`refused ${res.statusCode}`)));
    ws.once('error', () => {});
  });
}

describe('previews for visitors on other computers', { skip: ipv4 === null ? 'this machine has no non-loopback IPv4 address' : false }, () => {
  let server: RunnerServer;
  let files: FileMap;
  let course: string;
  before(async () => {
    server = await createRunnerServer({ host: '0.0.0.0', allowedHosts: 'any', port: 0, token: TOKEN, dist: fixtureDist, sandboxesRoot: fixtureSandboxes });
    course = `http://${ipv4}:${server.port}`;
    files = (await loadSandbox('echo', fixtureSandboxes)).steps[0]!.files;
  });
  after(async () => {
    await server?.close();
  });

  test("each port gets a port of its own under the visitor's host name, opened only with its key, the same for the next run", async () => {
    const client = await Client.open(`ws://${ipv4}:${server.port}/api/runner?token=${TOKEN}`);
    try {
      const urls = await runEcho(client, files);
      const web = new URL(urls.web!);
      assert.equal(web.hostname, ipv4, 'the name the visitor used for the course');
      assert.notEqual(Number(web.port), server.port, 'a port of its own: another origin than the course');
      assert.match(web.pathname, /^\/hotpot-preview-key\/[A-Za-z0-9_-]{32}\/$/);
      const own = `http://${ipv4}:${web.port}`;
      const key = web.pathname.split('/')[2]!;
      const cookieName = `hotpot_preview_${web.port}`;

      // Without the key: nothing of the sandbox.
      const bare = await localFetch(`${own}/`);
      assert.equal(bare.status, 401);
      assert.match(await bare.text(), /This preview needs its link from the course/);
      const wrong = await localFetch(`${own}/hotpot-preview-key/${'A'.repeat(32)}/`);
      assert.equal(wrong.status, 403);
      await wrong.text();
      const otherCookie = await localFetch(`${own}/headers`, { headers: { cookie: `${cookieName}=nope` } });
      assert.equal(otherCookie.status, 403);
      await otherCookie.text();

      // With it: a cookie named for this preview's port, and the same path without the key.
      const offsite = await localFetch(`${own}/hotpot-preview-key/${key}//evil.example/x`);
      assert.equal(offsite.headers.get('location'), '/evil.example/x', 'the redirect stays on the preview');
      await offsite.text();
      const first = await localFetch(`${urls.web}headers?a=1`);
      assert.equal(first.status, 302);
      assert.equal(first.headers.get('location'), '/headers?a=1');
      assert.deepEqual(first.headers.getSetCookie(), [`${cookieName}=${key}; HttpOnly; SameSite=Strict; Path=/`]);
      assert.equal(first.headers.get('content-security-policy'), `frame-ancestors http://${ipv4}:${server.port}`, 'framed by the course as this visitor reaches it');
      await first.text();

      // Cookies ignore ports: the course's token and other previews' keys reach this port, and go no further.
      const cookie = `hotpot_token_${server.port}=${TOKEN}; hotpot_preview_1=x; ${cookieName}=${key}; theme=dark`;
      const page = await localFetch(`${own}/headers?a=1`, { headers: { cookie, 'X-Hotpot-Token': TOKEN } });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('cross-origin-resource-policy'), 'cross-origin');
      const echoed = (await page.json()) as { headers: Record<string, string>; url: string };
      assert.equal(echoed.url, '/headers?a=1');
      assert.equal(echoed.headers.cookie, 'theme=dark', "no runner's cookie reaches the sandbox");
      assert.equal(echoed.headers['x-hotpot-token'], undefined);
      // A same-named cookie with another Path (which a page script can add) is sent first: the right one still counts.
      const shadowed = await localFetch(`${own}/headers`, { headers: { cookie: `${cookieName}=planted; ${cookieName}=${key}` } });
      assert.equal(shadowed.status, 200);
      await shadowed.text();

      // The sandbox cannot set, overwrite or shadow a runner's cookie; its own cookie passes.
      const planted = await localFetch(`${own}/set-cookie?port=${server.port}&preview=${web.port}`, { headers: { cookie: `${cookieName}=${key}` } });
      assert.deepEqual(planted.headers.getSetCookie(), ['theme=light; Path=/']);
      await planted.text();

      // WebSockets: the key (in the path, as the Broker tab sends it, or the cookie), and an Origin of the preview or the course.
      const wsOwn = `ws://${ipv4}:${web.port}`;
      assert.equal(await wsOpen(`${wsOwn}/hotpot-preview-key/${key}/`, { origin: course }), 'echo: hi');
      assert.equal(await wsOpen(`${wsOwn}/`, { origin: own, cookie: `${cookieName}=${key}` }), 'echo: hi');
      assert.equal(await upgradeStatus(`${wsOwn}/`, { origin: own }), 401);
      const broker = new URL(urls.broker!);
      assert.notEqual(broker.port, web.port);
      // Another preview is the same site (same host) but another origin: refused.
      assert.equal(await upgradeStatus(`${wsOwn}/hotpot-preview-key/${key}/`, { origin: `http://${ipv4}:${broker.port}` }), 403);
      assert.equal(await upgradeStatus(`${wsOwn}/hotpot-preview-key/${key}/`, { origin: 'http://evil.example' }), 403);

      // The next run of the sandbox: the same address, still open with the same cookie.
      await stopRun(client);
      const stopped = await localFetch(`${own}/`, { headers: { cookie: `${cookieName}=${key}` } });
      assert.equal(stopped.status, 404);
      assert.match(await stopped.text(), /This preview is not running/);
      const again = await runEcho(client, files);
      assert.equal(again.web, urls.web);
      const back = await localFetch(`${own}/`, { headers: { cookie: `${cookieName}=${key}` } });
      assert.equal(back.status, 200);
      assert.match(await back.text(), /Echo preview page/);
      await stopRun(client);
    } finally {
      await client.close();
    }
  });

  test("the course refuses what a preview's origin sends it: API requests and its WebSocket", async () => {
    const client = await Client.open(`ws://${ipv4}:${server.port}/api/runner?token=${TOKEN}`);
    try {
      const urls = await runEcho(client, files);
      const preview = new URL(urls.web!).origin;
      const cookie = `hotpot_token_${server.port}=${TOKEN}`;
      // The token cookie is sent along (same site), yet the Origin names the preview.
      const health = await localFetch(`${course}/api/runner/health`, { headers: { cookie, origin: preview } });
      assert.equal(health.status, 403);
      await health.text();
      const post = await localFetch(`${course}/`, { method: 'POST', headers: { cookie, origin: preview }, body: 'x' });
      assert.equal(post.status, 403);
      await post.text();
      assert.equal(await upgradeStatus(`ws://${ipv4}:${server.port}/api/runner`, { cookie, origin: preview }), 403);
      // The course's own pages still get in.
      const own = await localFetch(`${course}/api/runner/health`, { headers: { cookie, origin: course } });
      assert.equal(own.status, 200);
      await own.text();
      assert.equal(await upgradeStatus(`ws://${ipv4}:${server.port}/api/runner`, { cookie: `hotpot_token_${server.port}=planted; ${cookie}`, origin: course }), 101, 'a shadowing cookie does not lock the reader out');
      await stopRun(client);
    } finally {
      await client.close();
    }
  });

  test('a visitor on this computer (localhost) keeps the .localhost previews', async () => {
    const client = await Client.open(`ws://localhost:${server.port}/api/runner?token=${TOKEN}`);
    try {
      const urls = await runEcho(client, files);
      const web = new URL(urls.web!);
      assert.match(web.hostname, /^echo-web-[0-9a-f]{20}\.localhost$/);
      assert.equal(Number(web.port), server.port);
      await stopRun(client);
    } finally {
      await client.close();
    }
  });

  test('the preview ports close with the runner', async () => {
    const other = await createRunnerServer({ host: '0.0.0.0', allowedHosts: 'any', port: 0, token: TOKEN, dist: fixtureDist, sandboxesRoot: fixtureSandboxes });
    const client = await Client.open(`ws://${ipv4}:${other.port}/api/runner?token=${TOKEN}`);
    const urls = await runEcho(client, files);
    await client.close();
    await other.close();
    await assert.rejects(localFetch(urls.web!), /ECONNREFUSED/);
  });
});

test('--preview-ports takes a range of ports, and says so when given anything else', () => {
  for (const bad of ['43000', '43000-42000', '0-10', '43000-70000', '1-2-3']) {
    const out = spawnSync(process.execPath, ['runner/cli.ts', '--no-build', '--preview-ports', bad], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(out.status, 2, bad);
    assert.match(out.stderr, /--preview-ports must be a range of ports like 43000-43099/, bad);
  }
});

describe('--preview-ports and IPv6 visitors', { skip: ipv4 === null ? 'this machine has no non-loopback IPv4 address' : false }, () => {
  test('previews take ports from the range given', async () => {
    const server = await createRunnerServer({ host: '0.0.0.0', allowedHosts: 'any', port: 0, token: TOKEN, dist: fixtureDist, sandboxesRoot: fixtureSandboxes, previewPorts: [45710, 45729] });
    try {
      const client = await Client.open(`ws://${ipv4}:${server.port}/api/runner?token=${TOKEN}`);
      const urls = await runEcho(client, (await loadSandbox('echo', fixtureSandboxes)).steps[0]!.files);
      for (const url of Object.values(urls)) {
        const port = Number(new URL(url).port);
        assert.ok(port >= 45710 && port <= 45729, `${url} in 45710-45729`);
      }
      await client.close();
    } finally {
      await server.close();
    }
  });

  test('a visitor by an IPv6 address gets it in brackets', { skip: ipv6 === null ? 'this machine has no non-loopback IPv6 address' : false }, async () => {
    const server = await createRunnerServer({ host: '::', allowedHosts: 'any', port: 0, token: TOKEN, dist: fixtureDist, sandboxesRoot: fixtureSandboxes });
    try {
      const client = await Client.open(`ws://[${ipv6}]:${server.port}/api/runner?token=${TOKEN}`);
      const urls = await runEcho(client, (await loadSandbox('echo', fixtureSandboxes)).steps[0]!.files);
      const web = new URL(urls.web!);
      assert.equal(web.hostname, `[${ipv6}]`);
      const first = await localFetch(urls.web!);
      assert.equal(first.status, 302);
      // CSP's host-source has no IPv6 literals: the course's port, any host.
      assert.equal(first.headers.get('content-security-policy'), `frame-ancestors http://*:${server.port}`);
      const page = await localFetch(`${web.origin}/`, { headers: { cookie: first.headers.getSetCookie()[0]!.split(';', 1)[0]! } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Echo preview page/);
      await client.close();
    } finally {
      await server.close();
    }
  });
});

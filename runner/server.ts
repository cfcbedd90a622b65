// The runner's HTTP server: the built site, the token gate, the health endpoint, the
// WebSocket API at /api/runner (one run per connection) and the preview proxy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join, resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { SandboxError, listSandboxes, loadSandbox, type LoadedSandbox } from '../sandboxes/load.ts';
import { API_PATH, ClientMessage, HEALTH_PATH, type ServerMessage } from '../engine/contract.ts';
import { authorize, courseHostAllowed, hostRefusedPage, hostnameOf, isLoopbackHost, missingTokenPage, newToken, originAllowed, tokenCookieName, wrongTokenPage } from './auth.ts';
import { courseHeaders, messagePage, previewHeaders, refuseUpgrade, sendHtml, sendJson, setHeaders } from './http.ts';
import { checkFiles, formatBytes, limitMessages, resolveLimits, type Limits } from '../engine/limits.ts';
import { proxyHttp, proxyUpgrade, type PreviewRoute } from './proxy.ts';
import { PreviewHosts } from './preview-host.ts';
import { PREVIEW_KEY_PREFIX, PreviewPorts, previewAccess, type PreviewPort } from './preview-port.ts';
import { Run, RunError, projectRoot } from './run.ts';
import { createStaticSite } from './static.ts';

export { API_PATH, HEALTH_PATH };
export const PROTOCOL_VERSION = 1;
export const MAX_PAYLOAD = 4 * 1024 * 1024;
/** Output waiting to be sent to one page beyond which more output is dropped. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export interface RunnerServerOptions {
  /** 0 for any free port. Default 4321. */
  port?: number;
  /** Default 127.0.0.1. The CLI refuses non-loopback hosts without --allow-remote; this function does not check. */
  host?: string;
  /**
   * Host names the course answers to: "loopback" (default) is localhost, 127.0.0.1, ::1 and
   * `host`; "any" turns the Host check off (--allow-remote on a non-loopback address, where
   * other machines use names the runner cannot know).
   */
  allowedHosts?: 'loopback' | 'any';
  /** Default: a random one (24 bytes, base64url). */
  token?: string;
  /** The built site. Default <project>/dist. */
  dist?: string;
  /** Folder whose subfolders are the sandboxes. Default <project>/sandboxes. */
  sandboxesRoot?: string;
  /** Linked as node_modules into every run. Default: see defaultModulesDir(). */
  modulesDir?: string | null;
  /** When set, "broker" processes are not started and REDIS_URL is this. */
  redisUrl?: string;
  limits?: Partial<Limits>;
  /** Where the server's own log lines go. Default: nowhere. */
  log?: (line: string) => void;
  /**
   * Ports (inclusive) for the previews of visitors on other computers (see preview-port.ts),
   * for a firewall that opens only some. Default: any free port.
   */
  previewPorts?: readonly [number, number];
}

export interface RunnerServer {
  /** http://<host>:<port> as bound (no trailing slash). */
  url: string;
  port: number;
  host: string;
  token: string;
  limits: Limits;
  /** Runs in progress (for tests and diagnostics). */
  runs(): Run[];
  /** Stops every run (killing every process tree), closes every connection and the server. */
  close(): Promise<void>;
}

/** The state of one WebSocket connection: at most one run. */
class Session {
  readonly socket: WebSocket;
  /** The Host the page used to reach the course (its previews are reached under the same name). */
  readonly courseHost: string;
  run: Run | null = null;
  /** Bumped by every run/stop/close, so a run request overtaken by a newer one is dropped. */
  generation = 0;
  closed = false;
  constructor(socket: WebSocket, courseHost: string) {
    this.socket = socket;
    this.courseHost = courseHost;
  }
  /** Output not sent because the browser was not reading (per process, in characters). */
  #unsent = new Map<string, number>();
  send(message: ServerMessage): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (message.type === 'output') {
      // A page that stopped reading (a hidden tab, a slow link) must not make the runner hoard output.
      if (this.socket.bufferedAmount > MAX_BUFFERED) {
        this.#unsent.set(message.process, (this.#unsent.get(message.process) ?? 0) + message.data.length);
        return;
      }
      const unsent = this.#unsent.get(message.process);
      if (unsent) {
        this.#unsent.delete(message.process);
        const notice = `\r\n\x1b[0;33m[hotpot] ${formatBytes(unsent)} of output not shown: this page was not keeping up.\x1b[0m\r\n`;
        this.socket.send(JSON.stringify({ type: 'output', process: message.process, data: notice } satisfies ServerMessage));
      }
    }
    this.socket.send(JSON.stringify(message));
  }
  error(code: string, message: string): void {
    this.send({ type: 'error', code, message });
  }
}

function describeZod(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`)
    .join('; ');
}

/** Whether two origins are the same once written alike (`http://h:80` is `http://h`). */
function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

const previewKeyText = 'This preview opens from the course page: press Run there, then use its preview or its "open in new tab" link.';
const previewKeyPage = messagePage('This preview needs its link from the course', [
  'Each preview of a runner reached from another computer opens only through the address the course page gives it, so that no one else on the network can use it.',
  'Open the course, press Run, and use the preview there or its \u201copen in new tab\u201d link.',
]);

export async function createRunnerServer(options: RunnerServerOptions = {}): Promise<RunnerServer> {
  const token = options.token ?? newToken();
  const host = options.host ?? '127.0.0.1';
  const dist = resolve(options.dist ?? join(projectRoot, 'dist'));
  const sandboxesRoot = resolve(options.sandboxesRoot ?? join(projectRoot, 'sandboxes'));
  // undefined: each run finds the default itself (a build may prepare it while the runner runs).
  const modulesDir = options.modulesDir;
  const limits = resolveLimits(options.limits);
  const log = options.log ?? (() => {});
  const site = createStaticSite(dist, token);

  const runs = new Map<string, Run>();
  const sessions = new Set<Session>();
  let closing = false;

  const previewHosts = new PreviewHosts();
  /** Live runs of each sandbox, oldest first: a preview's origin reaches the newest that has the port. */
  const bySandbox = new Map<string, Run[]>();
  /** Known once listening. */
  let boundPort = 0;
  let cookieName = '';
  let previewHeaderSet: Readonly<Record<string, string>> = {};
  let courseOrigins: string[] = [];

  // On an address other computers can reach, a visitor who came by any name but a loopback one
  // gets previews on ports of their own (preview-port.ts); `*.localhost` names stay for loopback.
  const previewPorts = isLoopbackHost(host)
    ? null
    : new PreviewPorts({ host, range: options.previewPorts, onRequest: onPreviewPortRequest, onUpgrade: onPreviewPortUpgrade });
  function remoteHostname(courseHost: string): string | null {
    const hostname = hostnameOf(courseHost);
    return previewPorts && hostname !== null && !isLoopbackHost(hostname) ? hostname : null;
  }
  const urlHostOf = (hostname: string) => (hostname.includes(':') ? `[${hostname}]` : hostname);

  /** Where a request to a preview's own port goes: the newest run of its sandbox that has the port, with that origin's headers. */
  function portRoute(preview: PreviewPort, hostname: string): PreviewRoute {
    const runsOf = bySandbox.get(preview.sandbox) ?? [];
    let target = null;
    for (let i = runsOf.length - 1; i >= 0 && !target; i--) target = runsOf[i]!.target(preview.name);
    // Framed by the course as this visitor reaches it. CSP's host-source has no IPv6 literals, so
    // for one the course's port is named with any host (the preview's key still guards the content).
    const ancestor = hostname.includes(':') ? `http://*:${boundPort}` : `http://${hostname}:${boundPort}`;
    return { port: preview.name, target, headers: previewHeaders([ancestor]) };
  }

  function onPreviewPortRequest(preview: PreviewPort, req: IncomingMessage, res: ServerResponse): void {
    const hostname = hostnameOf(req.headers.host);
    if (hostname === null) return sendHtml(res, 400, messagePage('Bad request', ['This request names no host.']));
    const route = portRoute(preview, hostname);
    const access = previewAccess(req, preview, false);
    if (access.kind === 'redirect') {
      res.writeHead(302, { ...route.headers, Location: access.location, 'Set-Cookie': access.cookie, 'Cache-Control': 'no-store', 'Content-Length': 0 });
      res.end();
      return;
    }
    if (access.kind === 'missing' || access.kind === 'wrong') return sendHtml(res, access.kind === 'missing' ? 401 : 403, previewKeyPage, {}, route.headers);
    proxyHttp(req, res, route);
  }

  function onPreviewPortUpgrade(preview: PreviewPort, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const hostname = hostnameOf(req.headers.host);
    if (hostname === null) return refuseUpgrade(socket, 400, 'This request names no host.');
    const route = portRoute(preview, hostname);
    // The preview's own pages and the course page as this visitor reaches it (the Broker tab); no
    // other site, and no other preview: same host, other port, so same-site but not same-origin.
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, `http://${req.headers.host}`) && !sameOrigin(origin, `http://${urlHostOf(hostname)}:${boundPort}`))
      return refuseUpgrade(socket, 403, 'Connections to a preview from another site are refused.', route.headers);
    const access = previewAccess(req, preview, true);
    if (access.kind === 'missing' || access.kind === 'wrong') return refuseUpgrade(socket, access.kind === 'missing' ? 401 : 403, previewKeyText, route.headers);
    if (access.kind === 'upgrade') req.url = access.url;
    proxyUpgrade(req, socket, head, route);
  }

  /** A request's place: the course, a preview's origin, or a Host the runner does not answer to. */
  function classify(req: IncomingMessage): { kind: 'course' } | { kind: 'preview'; route: PreviewRoute; origin: string } | { kind: 'refused' } {
    const hostname = hostnameOf(req.headers.host);
    if (hostname === null) return { kind: 'refused' };
    const site = previewHosts.site(hostname);
    if (site || PreviewHosts.looksLikePreview(hostname)) {
      const runsOf = site ? (bySandbox.get(site.sandbox) ?? []) : [];
      let target = null;
      for (let i = runsOf.length - 1; i >= 0 && !target; i--) target = runsOf[i]!.target(site!.port);
      return { kind: 'preview', route: { port: site?.port ?? hostname.split('.', 1)[0]!, target, headers: previewHeaderSet }, origin: `http://${req.headers.host}` };
    }
    if (options.allowedHosts === 'any' || courseHostAllowed(hostname, host)) return { kind: 'course' };
    return { kind: 'refused' };
  }

  function refuseHttp(res: ServerResponse, kind: 'missing' | 'wrong'): void {
    sendHtml(res, kind === 'missing' ? 401 : 403, kind === 'missing' ? missingTokenPage : wrongTokenPage);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const place = classify(req);
    // The Host is judged before anything else (DNS rebinding), the token next.
    if (place.kind === 'refused') return sendHtml(res, 403, hostRefusedPage);
    // A preview's origin serves the sandbox and nothing of the runner: no token, no course, no API.
    if (place.kind === 'preview') return proxyHttp(req, res, place.route);
    setHeaders(res, courseHeaders);
    // A browser's Origin names the page that sent the request: the course sends none to itself for
    // GETs, so one that names another page (a preview's port on the same host is same-site, and
    // sends the token cookie along) is refused whatever the route.
    if (!originAllowed(req)) return sendHtml(res, 403, messagePage('Requests from another site are refused', ['Only the course\u2019s own pages may send requests to the runner.']));
    const auth = authorize(req, token, { cookieName });
    if (auth.kind === 'missing' || auth.kind === 'wrong') return refuseHttp(res, auth.kind);
    if (auth.kind === 'redirect') {
      res.writeHead(302, { ...courseHeaders, Location: auth.location, 'Set-Cookie': auth.cookie, 'Cache-Control': 'no-store', 'Content-Length': 0 });
      res.end();
      return;
    }
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0]!;
    if (pathname === HEALTH_PATH) return sendJson(res, 200, { ok: true, version: PROTOCOL_VERSION });
    if (pathname === API_PATH) {
      return sendHtml(res, 426, messagePage('Upgrade required', ['This address is the runner\u2019s WebSocket API.']), { Upgrade: 'websocket' });
    }
    await site.handle(req, res);
  }

  // Messages up to four times the cap are read, so one over it gets an answer in words; beyond that ws closes with 1009 (the page explains it).
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD * 4 });

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const place = classify(req);
    if (place.kind === 'refused') return refuseUpgrade(socket, 403, 'This address is not one the runner answers to: open the link that npm start printed.');
    if (place.kind === 'preview') {
      // The preview's own pages, and the course page (the Broker tab), may connect; no other site.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== place.origin && !courseOrigins.includes(origin))
        return refuseUpgrade(socket, 403, 'Connections to a preview from another site are refused.', previewHeaderSet);
      return proxyUpgrade(req, socket, head, place.route);
    }
    const auth = authorize(req, token, { redirect: false, cookieName });
    if (auth.kind === 'missing') return refuseUpgrade(socket, 401, 'Open the link that npm start printed: this connection has no token.');
    if (auth.kind !== 'ok') return refuseUpgrade(socket, 403, 'This token is not the one the runner made at this start: open the link that npm start printed.');
    if (!originAllowed(req)) return refuseUpgrade(socket, 403, 'Connections from another site are refused.');
    if (closing) return refuseUpgrade(socket, 503, 'The runner is shutting down.');
    const pathname = (req.url ?? '/').split('?', 1)[0]!;
    if (pathname === API_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req.headers.host ?? ''));
      return;
    }
    refuseUpgrade(socket, 404, 'There is no WebSocket endpoint here.');
  }

  function onConnection(ws: WebSocket, courseHost: string): void {
    const session = new Session(ws, courseHost);
    sessions.add(session);
    let alive = true;
    ws.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    ping.unref();
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as ArrayBuffer | Buffer).byteLength;
      if (bytes > MAX_PAYLOAD) return session.error('too-large', limitMessages.messageTooLarge(bytes, MAX_PAYLOAD));
      void onMessage(session, isBinary ? null : data.toString());
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(ping);
      session.closed = true;
      session.generation++;
      sessions.delete(session);
      const run = session.run;
      session.run = null;
      void run?.stop();
    });
    session.send({ type: 'hello', version: PROTOCOL_VERSION, limits: { ...limits } });
  }

  async function onMessage(session: Session, text: string | null): Promise<void> {
    if (text === null) return session.error('bad-message', 'Messages must be JSON text, not binary.');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return session.error('bad-message', `The message is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return session.error('bad-message', 'The message must be a JSON object with a "type".');
    const obj = raw as Record<string, unknown>;
    // Paths and sizes first: their refusal has its own codes (the schema would only say "bad message").
    if (obj.type === 'run' && 'files' in obj) {
      const problem = checkFiles(obj.files, limits);
      if (problem) return session.error(problem.code, problem.message);
    }
    const parsed = ClientMessage.safeParse(raw);
    if (!parsed.success) return session.error('bad-message', `The message is not understood: ${describeZod(parsed.error)}`);
    const message = parsed.data;
    try {
      switch (message.type) {
        case 'run':
          return await startRun(session, message.sandbox, message.step, message.files, message.inspectorSecret);
        case 'stop': {
          session.generation++;
          const run = session.run;
          if (!run) return session.send({ type: 'run', state: 'stopped' });
          await run.stop();
          return;
        }
        case 'kill':
          return await requireRun(session).kill(message.process);
        case 'restart':
          return await requireRun(session).restart(message.process);
        case 'input':
          return requireRun(session).input(message.process, message.data);
        case 'check':
          await requireRun(session).check(message.step);
          return;
      }
    } catch (e) {
      if (e instanceof RunError) return session.error(e.code, e.message);
      log(`runner: ${(e as Error).stack ?? e}`);
      session.error('internal', `The runner hit an unexpected problem: ${(e as Error).message}`);
    }
  }

  function requireRun(session: Session): Run {
    const run = session.run;
    if (!run || run.state === 'stopped' || run.state === 'failed' || run.state === 'stopping')
      throw new RunError('not-running', 'The sandbox is not running. Press Run first.');
    return run;
  }

  async function startRun(session: Session, sandboxId: string, step: string, files: Record<string, string>, inspectorSecret?: string): Promise<void> {
    const generation = ++session.generation;
    let sandbox: LoadedSandbox;
    try {
      const known = await listSandboxes(sandboxesRoot);
      if (!known.includes(sandboxId)) return session.error('unknown-sandbox', `There is no sandbox "${sandboxId}" on this runner.`);
      sandbox = await loadSandbox(sandboxId, sandboxesRoot);
    } catch (e) {
      const detail = e instanceof SandboxError ? e.message : (e as Error).message;
      log(`runner: sandbox "${sandboxId}" could not be loaded: ${detail}`);
      return session.error('bad-sandbox', `The sandbox "${sandboxId}" could not be loaded: ${detail}`);
    }
    if (!sandbox.manifest.steps.some((s) => s.id === step)) return session.error('unknown-step', `The sandbox "${sandboxId}" has no step "${step}".`);
    // A second run replaces the first.
    const previous = session.run;
    session.run = null;
    if (previous) await previous.stop();
    if (generation !== session.generation || session.closed || closing) return;
    if (runs.size >= limits.runs) return session.error('too-many-runs', limitMessages.tooManyRuns(limits));
    // A visitor on another computer: each port's own listener, open before the run reports its ports.
    const remote = remoteHostname(session.courseHost);
    const ownPorts = new Map<string, PreviewPort>();
    if (remote !== null) {
      try {
        for (const name of Object.keys(sandbox.manifest.ports)) ownPorts.set(name, await previewPorts!.open(sandboxId, name));
      } catch (e) {
        return session.error('preview-port', `The runner could not open a port for this sandbox's preview: ${(e as Error).message}`);
      }
      if (generation !== session.generation || session.closed || closing) return;
    }
    const previewUrl = (port: string): string => {
      const own = ownPorts.get(port);
      if (remote !== null && own) return `http://${urlHostOf(remote)}:${own.port}${PREVIEW_KEY_PREFIX}${own.key}/`;
      return `http://${previewHosts.hostname(sandboxId, port)}:${boundPort}/`;
    };
    const run = new Run({
      sandbox,
      step,
      files,
      inspectorSecret,
      // The broker's inspector accepts loopback pages and its own host; a visitor's course page is neither.
      inspectorOrigin: remote !== null ? `http://${session.courseHost}` : undefined,
      modulesDir,
      redisUrl: options.redisUrl,
      limits,
      onMessage: (m) => session.send(m),
      previewUrl,
      onEnd: (r) => {
        runs.delete(r.id);
        const left = (bySandbox.get(sandboxId) ?? []).filter((x) => x !== r);
        if (left.length) bySandbox.set(sandboxId, left);
        else bySandbox.delete(sandboxId);
        if (session.run === r) session.run = null;
      },
    });
    runs.set(run.id, run);
    bySandbox.set(sandboxId, [...(bySandbox.get(sandboxId) ?? []), run]);
    session.run = run;
    log(`runner: run ${run.id} of ${sandboxId}/${step} started`);
    await run.start().catch(() => {
      // told to the reader through the run's messages
    });
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      log(`runner: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) sendHtml(res, 500, messagePage('Something went wrong in the runner', ['Look at the terminal where <code>npm start</code> runs.']));
      else res.destroy();
    });
  });
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_e, socket) => {
    if (socket.writable) refuseUpgrade(socket, 400, 'Bad request');
    else socket.destroy();
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4321, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  boundPort = port;
  cookieName = tokenCookieName(port);
  courseOrigins = [...new Set([`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`, `http://${urlHost}:${port}`])];
  // CSP's host-source has no IPv6 literals: Chromium logs `http://[::1]:…` as an error and ignores it,
  // so frame-ancestors names the course's other origins (the printed link never uses [::1]).
  previewHeaderSet = Object.freeze(previewHeaders(courseOrigins.filter((o) => !o.includes('['))));

  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    token,
    limits,
    runs: () => [...runs.values()],
    close() {
      closed ??= (async () => {
        closing = true;
        for (const s of sessions) s.generation++;
        await Promise.allSettled([...runs.values()].map((r) => r.stop()));
        for (const s of sessions) s.socket.terminate();
        wss.close();
        await previewPorts?.close();
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}

// `npm start`: builds the site if needed, then serves it with the local runner on this machine.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, buildNeeded } from './build.ts';
import { isLoopbackHost, newToken } from './auth.ts';
import { limitFlags, limitsFromFlags } from '../engine/limits.ts';
import { killAllRunsSync, projectRoot } from './run.ts';
import { createRunnerServer, type RunnerServer } from './server.ts';

const usage = `Usage: npm start -- [options]

Serves the Hotpot course on this machine and runs its sandboxes as real processes.

  --port N                port to listen on (default: $PORT or 4321; 0 for any free port)
  --host H                address to listen on (default: $HOST or 127.0.0.1)
  --allow-remote          allow listening on an address other machines can reach
  --preview-ports A-B     ports for the previews of visitors on other computers (default: any free port)
  --token T               the access token (default: $HOTPOT_TOKEN, else a new random one)
  --no-build              serve dist/ as it is, without building first
  --dist DIR              the built site to serve (default: dist/)
  --redis-url URL         use this Redis instead of starting the sandboxes' own (default: $REDIS_URL)
  --sandboxes DIR         the sandboxes folder (default: sandboxes/)
  --modules DIR           node_modules linked into every run (default: .hotpot/sandbox-modules/node_modules, else node_modules)
  --workshop LINK         take part in a workshop: the join link your instructor gave (https://hub/join/?code=K7M2QX)
${limitFlags.map((f) => `  --${f.flag} N`.padEnd(26) + f.help).join('\n')}
  -h, --help              show this help

Environment: HOTPOT_CGROUP=off runs sandboxes without a cgroup per run (see the README's Security section).
`;

function fail(message: string): never {
  process.stderr.write(`hotpot: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'allow-remote': { type: 'boolean' },
        'preview-ports': { type: 'string' },
        token: { type: 'string' },
        'no-build': { type: 'boolean' },
        dist: { type: 'string' },
        'redis-url': { type: 'string' },
        sandboxes: { type: 'string' },
        modules: { type: 'string' },
        workshop: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(limitFlags.map((f) => [f.flag, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail(`${(e as Error).message} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(usage);
    return;
  }

  const portText = (values.port as string | undefined) ?? process.env.PORT ?? '4321';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) fail(`--port must be a number from 0 to 65535, not ${JSON.stringify(portText)}`);
  const host = (values.host as string | undefined) ?? process.env.HOST ?? '127.0.0.1';
  const allowRemote = values['allow-remote'] === true;
  if (!isLoopbackHost(host) && !allowRemote)
    fail(`refusing to listen on ${host}: anyone who reaches it could run programs on this computer; add --allow-remote if that is what you want`);
  let previewPorts: [number, number] | undefined;
  if (values['preview-ports'] !== undefined) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(values['preview-ports'] as string);
    previewPorts = m ? [Number(m[1]), Number(m[2])] : undefined;
    if (!previewPorts || previewPorts[0] < 1 || previewPorts[1] > 65535 || previewPorts[0] > previewPorts[1])
      fail(`--preview-ports must be a range of ports like 43000-43099, not ${JSON.stringify(values['preview-ports'])}`);
  }
  const token = (values.token as string | undefined) || process.env.HOTPOT_TOKEN || newToken();
  let limits;
  try {
    limits = limitsFromFlags(values);
  } catch (e) {
    fail((e as Error).message);
  }
  const defaultDist = join(projectRoot, 'dist');
  const dist = resolve((values.dist as string | undefined) ?? defaultDist);
  const redisUrl = (values['redis-url'] as string | undefined) || process.env.REDIS_URL || undefined;
  if (redisUrl) {
    try {
      new URL(redisUrl);
    } catch {
      fail(`--redis-url must be a URL like redis://127.0.0.1:6379, not ${JSON.stringify(redisUrl)}`);
    }
  }

  const workshop = values.workshop === undefined ? null : await workshopLink(values.workshop as string);

  if (!values['no-build']) {
    if (dist !== resolve(defaultDist)) {
      process.stdout.write(`Serving ${dist} as it is (a --dist folder is not built by npm start).\n`);
    } else {
      const why = await buildNeeded(projectRoot, dist);
      if (why) {
        process.stdout.write(`Building the site (${why})…\n`);
        try {
          await build(projectRoot, dist);
        } catch (e) {
          fail((e as Error).message);
        }
      }
    }
  }
  if (!existsSync(join(dist, 'index.html'))) process.stderr.write(`hotpot: warning: ${join(dist, 'index.html')} is missing; run npm run build\n`);

  // No sandbox process outlives the runner, however it ends.
  process.on('exit', () => killAllRunsSync());
  process.on('uncaughtException', (e) => {
    process.stderr.write(`hotpot: unexpected error: ${e.stack ?? e}\n`);
    killAllRunsSync();
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`hotpot: unexpected error: ${(e as Error)?.stack ?? e}\n`);
    killAllRunsSync();
    process.exit(1);
  });

  let server: RunnerServer;
  try {
    server = await createRunnerServer({
      port,
      host,
      allowedHosts: allowRemote && !isLoopbackHost(host) ? 'any' : 'loopback',
      token,
      dist,
      sandboxesRoot: values.sandboxes ? resolve(values.sandboxes as string) : undefined,
      modulesDir: values.modules ? resolve(values.modules as string) : undefined,
      redisUrl,
      limits,
      log: (line) => process.stderr.write(`${line}\n`),
      previewPorts,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') fail(`port ${port} on ${host} is already in use; pick another with --port`);
    fail(`could not listen on ${host}:${port}: ${err.message}`);
  }

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    killAllRunsSync();
    const timer = setTimeout(() => process.exit(0), 3000);
    timer.unref();
    void server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);

  const shownHost = host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  if (allowRemote)
    process.stderr.write(
      isLoopbackHost(host)
        ? `Warning: --allow-remote has no effect: the runner listens on ${host}, which only this computer can reach.\n`
        : `Warning: --allow-remote: the runner listens on ${host}:${server.port}. Anyone who can reach it and has the token can run programs on this computer as you. Share the link only with people you trust.\n`,
    );
  if (redisUrl) process.stdout.write(`Sandboxes use the Redis at ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')} (their own broker is not started).\n`);
  if (workshop)
    process.stdout.write(
      `Workshop “${workshop.title}”: open http://${shownHost}:${server.port}/join/?hub=${encodeURIComponent(workshop.hub)}&code=${workshop.code}&token=${encodeURIComponent(token)} to join it (your sandboxes run here; your progress goes to ${workshop.hub}).\n`,
    );
  process.stdout.write(`Hotpot is running at http://${shownHost}:${server.port}/?token=${encodeURIComponent(token)}\n`);
  process.stdout.write('Press Ctrl+C to stop.\n');
}

/** The hub and code a workshop's join link names, once the hub confirms the workshop exists. */
async function workshopLink(link: string): Promise<{ hub: string; code: string; title: string }> {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    fail(`--workshop must be the join link your instructor gave, like https://class.example.org/join/?code=K7M2QX, not ${JSON.stringify(link)}`);
  }
  const code = (url.searchParams.get('code') ?? '').toUpperCase();
  if (!/^[A-HJ-NP-Z2-9]{6}$/.test(code) || !/^https?:$/.test(url.protocol)) fail(`--workshop: ${link} is not a join link (it ends with /join/?code= and six letters and digits)`);
  let res: Response;
  try {
    res = await fetch(new URL(`/api/workshop/join/${code}`, url.origin), { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    fail(`--workshop: the workshop hub at ${url.origin} does not answer (${(e as Error).message}); check the link with your instructor`);
  }
  if (res.status === 404) fail(`--workshop: the hub at ${url.origin} has no workshop with the code ${code}`);
  const info = (await res.json().catch(() => null)) as { title?: string; ended?: boolean } | null;
  if (!res.ok || typeof info?.title !== 'string') fail(`--workshop: ${url.origin} did not answer as a workshop hub (HTTP ${res.status})`);
  if (info.ended) process.stderr.write(`hotpot: warning: the workshop “${info.title}” has ended; the hub no longer records progress\n`);
  return { hub: url.origin, code, title: info.title };
}

await main();

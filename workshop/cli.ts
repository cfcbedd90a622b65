// `npm run workshop`: the hub an instructor runs for a class. Builds the site if needed,
// opens the store (SQLite file, or Redis with --redis-url), and prints the instructor's link.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isLoopbackHost } from '../runner/auth.ts';
import { build, buildNeeded } from '../runner/build.ts';
import { projectRoot } from '../runner/run.ts';
import { createHub, type Hub } from './hub.ts';
import { openRedisStore } from './store/redis.ts';
import { openSqliteStore } from './store/sqlite.ts';
import type { WorkshopStore } from './store/types.ts';

const usage = `Usage: npm run workshop -- [options]

Serves the Hotpot course to a class and gives the instructor a live console. The hub never
runs anyone's code: attendees' sandboxes run in their own browser or their own npm start.

  --port N            port to listen on (default: $PORT or 4400; 0 for any free port)
  --host H            address to listen on (default: 127.0.0.1); another address is reachable
                      by others: put the hub behind TLS (see README) for a hosted class
  --db FILE           the SQLite file that keeps the workshops (default: .hotpot/workshop.db)
  --redis-url URL     keep them in this Redis instead, shared by several hubs (default: $REDIS_URL)
  --origin URL        also accept WebSockets from pages of this origin (repeatable)
  --secret S          the instructor's secret (default: $HOTPOT_WORKSHOP_SECRET, else the stored one)
  --no-build          serve dist/ as it is, without building first
  --dist DIR          the built site to serve (default: dist/)
  -h, --help          show this help
`;

function fail(message: string): never {
  process.stderr.write(`hotpot workshop: ${message}\n`);
  process.exit(2);
}

let values: Record<string, string | string[] | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      'redis-url': { type: 'string' },
      origin: { type: 'string', multiple: true },
      secret: { type: 'string' },
      'no-build': { type: 'boolean' },
      dist: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail(`${(e as Error).message} (see --help)`);
}
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

const portText = (values.port as string | undefined) ?? process.env.PORT ?? '4400';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) fail(`--port must be a number from 0 to 65535, not ${JSON.stringify(portText)}`);
const host = (values.host as string | undefined) ?? '127.0.0.1';
const origins = (values.origin as string[] | undefined) ?? [];
for (const o of origins) {
  try {
    new URL(o);
  } catch {
    fail(`--origin must be a URL like https://class.example.org, not ${JSON.stringify(o)}`);
  }
}
const redisUrl = (values['redis-url'] as string | undefined) || process.env.REDIS_URL || undefined;
if (redisUrl && values.db) fail('--db and --redis-url both say where to keep the workshops: choose one');
const defaultDist = join(projectRoot, 'dist');
const dist = resolve((values.dist as string | undefined) ?? defaultDist);

if (!values['no-build'] && dist === resolve(defaultDist)) {
  const why = await buildNeeded(projectRoot, dist);
  if (why) {
    process.stdout.write(`Building the site (${why})…\n`);
    await build(projectRoot, dist).catch((e: Error) => fail(e.message));
  }
}
if (!existsSync(join(dist, 'index.html'))) process.stderr.write(`hotpot workshop: warning: ${join(dist, 'index.html')} is missing; run npm run build\n`);

let store: WorkshopStore;
let where: string;
if (redisUrl) {
  try {
    new URL(redisUrl);
  } catch {
    fail(`--redis-url must be a URL like redis://127.0.0.1:6379, not ${JSON.stringify(redisUrl)}`);
  }
  store = await openRedisStore(redisUrl).catch((e: Error) => fail(e.message));
  where = `the Redis at ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`;
} else {
  const file = resolve((values.db as string | undefined) ?? join(projectRoot, '.hotpot', 'workshop.db'));
  try {
    mkdirSync(dirname(file), { recursive: true });
    store = openSqliteStore(file);
  } catch (e) {
    fail(`could not open the workshop file ${file}: ${(e as Error).message}`);
  }
  where = file;
}

let hub: Hub;
try {
  hub = await createHub({
    store,
    dist,
    port,
    host,
    origins,
    secret: (values.secret as string | undefined) || process.env.HOTPOT_WORKSHOP_SECRET || undefined,
    log: (line) => process.stderr.write(`${line}\n`),
  });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') fail(`port ${port} on ${host} is already in use; pick another with --port`);
  fail(`could not start the hub: ${err.message}`);
}

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 3000).unref();
  void hub
    .close()
    .then(() => store.close())
    .finally(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
process.on('SIGHUP', shutdown);

const shownHost = isLoopbackHost(host) || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
if (!isLoopbackHost(host))
  process.stderr.write(
    `Warning: the hub listens on ${host}:${hub.port}, which other machines can reach. It runs no code, but names and progress travel in plain HTTP: for a class over a network, put it behind TLS (README, "Workshops").\n`,
  );
process.stdout.write(`Workshops are kept in ${where}.\n`);
process.stdout.write(`Workshop hub running. Instructor's console (keep this link to yourself): http://${shownHost}:${hub.port}/workshop/#key=${encodeURIComponent(hub.secret)}\n`);
process.stdout.write('Press Ctrl+C to stop.\n');

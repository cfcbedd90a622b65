#!/usr/bin/env node
// Start the embedded broker from the command line:
//   node broker/cli.ts --port 6380 [--host 127.0.0.1] [--password secret] [--maxmemory 64mb] [--protected-mode yes|no]
//                      [--inspector-port 0] [--inspector-secret S | env HOTPOT_INSPECTOR_SECRET] [--inspector-origin O | env HOTPOT_INSPECTOR_ORIGIN]...
// Sandboxes run the same file bundled to JavaScript (node_modules/hotpot-broker/cli.js, built
// with the site by site/integration/sandbox-modules.ts).
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createBroker, isLoopback } from './server.ts';
import { startInspector, type Inspector } from './inspector.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '6379' },
    host: { type: 'string', default: '127.0.0.1' },
    password: { type: 'string' },
    maxmemory: { type: 'string' },
    'inspector-port': { type: 'string' },
    'inspector-secret': { type: 'string' },
    'inspector-origin': { type: 'string', multiple: true },
    'protected-mode': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: node broker/cli.ts [--port 6379] [--host 127.0.0.1] [--password <pw>] [--maxmemory <bytes|64mb>] [--protected-mode yes|no]\n' +
      '                          [--inspector-port <port, 0 = any>] [--inspector-secret <secret>] [--inspector-origin <origin>]...\n' +
      'The inspector secret can also come from HOTPOT_INSPECTOR_SECRET; without either, one is made and printed.',
  );
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${values.port}`);
  process.exit(2);
}

const inspectorPort = values['inspector-port'] === undefined ? undefined : Number(values['inspector-port']);
if (inspectorPort !== undefined && (values['inspector-port'] === '' || !Number.isInteger(inspectorPort) || inspectorPort < 0 || inspectorPort > 65535)) {
  console.error(`invalid --inspector-port: ${values['inspector-port']}`);
  process.exit(2);
}

const protectedMode = values['protected-mode'];
if (protectedMode !== undefined && protectedMode !== 'yes' && protectedMode !== 'no') {
  console.error(`invalid --protected-mode: ${protectedMode} (yes or no)`);
  process.exit(2);
}
if (!isLoopback(values.host) && values.host !== 'localhost' && !values.password) {
  // As Redis: listening beyond loopback without a password serves loopback clients only,
  // unless protected mode is turned off explicitly.
  console.error(
    protectedMode === 'no'
      ? `[broker] warning: listening on ${values.host} with no password and protected mode off: anyone who can reach this port can run commands`
      : `[broker] warning: listening on ${values.host} with no password: protected mode answers DENIED to every client that is not on the loopback interface (set --password, or --protected-mode no)`,
  );
}

let inspector: Inspector | null = null;
const broker = await createBroker({
  port,
  host: values.host,
  password: values.password,
  maxmemory: values.maxmemory,
  protectedMode: protectedMode !== 'no',
  log: (level, msg) => console.error(`[broker] ${level}: ${msg}`),
  // SHUTDOWN from a client: tell the inspector's WebSockets the broker is gone, then exit.
  onShutdown: () => {
    void (inspector?.close(1011, 'the broker shut down') ?? Promise.resolve()).finally(() => process.exit(0));
  },
});
console.log(`Hotpot broker (Redis-compatible) listening on ${broker.host}:${broker.port}`);

// The workbench's Broker tab (HTTP + WebSocket; see inspector.ts).
if (inspectorPort !== undefined) {
  // The run's secret: from the workbench (flag or environment), or made here and printed.
  const given = values['inspector-secret'] ?? process.env.HOTPOT_INSPECTOR_SECRET;
  const secret = given || randomBytes(24).toString('base64url');
  inspector = await startInspector({
    brokerPort: broker.port,
    host: broker.host,
    port: inspectorPort,
    password: values.password,
    secret,
    // The page's origin where it is not on the inspector's own host (a WebContainer page); the
    // variable names are engine/contract.ts's INSPECTOR_*_ENV (not imported: the broker is bundled alone).
    origins: values['inspector-origin'] ?? (process.env.HOTPOT_INSPECTOR_ORIGIN ? process.env.HOTPOT_INSPECTOR_ORIGIN.split(',').filter(Boolean) : undefined),
  });
  console.log(`Hotpot broker inspector on http://127.0.0.1:${inspector.port}${given ? '' : `/?secret=${secret}`}`);
}

// SIGTERM (the runner's Stop) and SIGINT (Ctrl-C): close every connection and the listening
// socket, then exit 0. Data lives in memory only, so there is nothing to save.
let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(`Hotpot broker: ${signal} received, shutting down`);
  // close() settles at once in practice; the timer only guards against a stuck socket.
  const timer = setTimeout(() => process.exit(0), 1000);
  timer.unref();
  void (inspector?.close(1011, `the broker is shutting down (${signal})`) ?? Promise.resolve())
    .catch(() => {})
    .then(() => broker.close())
    .then(
      () => process.exit(0),
      () => process.exit(0),
    );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

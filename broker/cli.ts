#!/usr/bin/env node
// Start the embedded broker from the command line:
//   node broker/cli.ts --port 6380 [--host 127.0.0.1] [--password secret] [--maxmemory 64mb] [--inspector-port 0]
// Sandboxes run the same file bundled to JavaScript (node_modules/hotpot-broker/cli.js, built
// with the site by site/integration/sandbox-modules.ts).
import { parseArgs } from 'node:util';
import { createBroker } from './server.ts';
import { startInspector, type Inspector } from './inspector.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '6379' },
    host: { type: 'string', default: '127.0.0.1' },
    password: { type: 'string' },
    maxmemory: { type: 'string' },
    'inspector-port': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('usage: node broker/cli.ts [--port 6379] [--host 127.0.0.1] [--password <pw>] [--maxmemory <bytes|64mb>] [--inspector-port <port, 0 = any>]');
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

let inspector: Inspector | null = null;
const broker = await createBroker({
  port,
  host: values.host,
  password: values.password,
  maxmemory: values.maxmemory,
  log: (level, msg) => console.error(`[broker] ${level}: ${msg}`),
  // SHUTDOWN from a client: tell the inspector's WebSockets the broker is gone, then exit.
  onShutdown: () => {
    void (inspector?.close(1011, 'the broker shut down') ?? Promise.resolve()).finally(() => process.exit(0));
  },
});
console.log(`Hotpot broker (Redis-compatible) listening on ${broker.host}:${broker.port}`);

// The workbench's Broker tab (HTTP + WebSocket; see inspector.ts).
if (inspectorPort !== undefined) {
  inspector = await startInspector({ brokerPort: broker.port, host: broker.host, port: inspectorPort, password: values.password });
  console.log(`Hotpot broker inspector on http://127.0.0.1:${inspector.port}`);
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

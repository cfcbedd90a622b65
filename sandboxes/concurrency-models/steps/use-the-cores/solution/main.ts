// Starts the app: a primary process that forks one worker per core, each a whole server with
// its own event loop, all accepting on the same port (the primary hands out connections).
// gunicorn -w N does the same for Django.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { startServer } from './server.ts';

const PORT = Number(process.env.APP_PORT ?? 8000);

if (cluster.isPrimary) {
  const workers = availableParallelism();
  console.log(`primary ${process.pid}: forking ${workers} workers`);
  for (let i = 0; i < workers; i++) cluster.fork();
  // A worker that dies is replaced, as gunicorn's arbiter does (not while stopping).
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill(signal);
      setTimeout(() => process.exit(0), 1000).unref();
    });
} else {
  startServer(PORT);
}

// Can this runtime start a worker thread at all? Asked once, at start-up. Where it cannot (a
// browser's WebContainer may not), the pools refuse tasks at once with the reason, the page
// says so, and the checks fail with it, instead of waiting for threads that never come.
import { Worker } from 'node:worker_threads';

export const workers: { ok: boolean; settled: boolean; why: string } = { ok: false, settled: false, why: 'still starting a first worker thread' };

const cannot = (why: string) => {
  Object.assign(workers, { ok: false, settled: true, why });
  console.log(`Worker threads: ${why}. The page still runs; its pool figures will stay empty.`);
};

try {
  const probe = new Worker(new URL('./worker.ts', import.meta.url));
  // A busy machine can take seconds to start a thread; a minute means it will not.
  const timer = setTimeout(() => (cannot('a worker thread did not start within 60 s'), void probe.terminate()), 60_000);
  probe.once('message', () => {
    clearTimeout(timer);
    Object.assign(workers, { ok: true, settled: true, why: '' });
    void probe.terminate();
  });
  probe.once('error', (err) => (clearTimeout(timer), cannot(`a worker thread could not start: ${err.message}`)));
  probe.postMessage({ kind: 'tiny', input: 'probe' });
} catch (err) {
  cannot(`a worker thread could not start: ${(err as Error).message}`);
}

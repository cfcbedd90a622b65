// The broker's CLI, unchanged, in a process that also answers the robustness bench's
// heap question over IPC: run with --expose-gc, { type: 'heap' } → full GC, then
// process.memoryUsage(). Buffers (output waiting for a client) are off the V8 heap, so
// external/arrayBuffers are reported with it.
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (m: unknown) => {
  if ((m as { type?: string } | null)?.type !== 'heap') return;
  gc?.();
  gc?.();
  process.send?.({ type: 'heap', ...process.memoryUsage() });
});
// Let the IPC channel not keep the process alive once the broker exits.
process.channel?.unref();
// HOTPOT_BROKER_CLI: another copy of the broker (the bench's --baseline-broker), else this one.
await import(process.env.HOTPOT_BROKER_CLI ?? '../broker/cli.ts');

export {};

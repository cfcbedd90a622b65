// The app as one process, for step 3's check to measure beside the cluster: the same
// server.ts and views.ts, started once on the port in APP_PORT, with no cluster around it.
// (server.ts is the reader's file beside this folder; its path is computed, so the check's
// own type-check does not depend on it.)
const server = (await import(new URL('../server.ts', import.meta.url).href)) as { startServer: (port: number) => unknown };
server.startServer(Number(process.env.APP_PORT));

// The one Chromium the browser tests and benchmarks drive: Debian's, never a downloaded one.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const BROWSER_OPTIONS = {
  executablePath: CHROMIUM,
  headless: true,
  // As root on a machine without outside network: no sandbox, no background connections.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
};
/** Set by `npm test` for the browser tests: one Chromium for every test file (each file still
 *  gets its own contexts, so nothing leaks between them). */
export const SHARED_BROWSER_ENV = 'HOTPOT_TEST_BROWSER_WS';


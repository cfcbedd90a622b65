// The workshop hub as the browser tests start it: `npm run workshop` in a process of its own,
// shared by test/e2e/workshop.test.ts and workshop-phone.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';

export interface HubProcess {
  child: ChildProcess;
  link: string;
  log: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `store`: `--db FILE` or `--redis-url URL`. */
export async function startHub(port: number, ...store: string[]): Promise<HubProcess> {
  const child = spawn(process.execPath, ['workshop/cli.ts', '--no-build', '--port', String(port), ...store], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const link = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the hub did not start:\n${log}`)), 30_000);
    child.stdout!.on('data', () => {
      const m = /Instructor's console \(keep this link to yourself\): (\S+)/.exec(log);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the hub exited with ${code}:\n${log}`))));
  });
  return {
    child,
    link,
    log: () => log,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

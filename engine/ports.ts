// Ports: a manifest names them; each runtime decides the numbers (a local runner finds free
// ones, a WebContainer has a port space of its own) and these rules put them in place.
import type { SandboxProcess } from '../sandboxes/schema.ts';

const PORT_REF = /\$\{port:([^}]*)\}/g;

/** Substitutes ${port:NAME} with the allocated port numbers. */
export function withPorts(text: string, ports: Record<string, number>): string {
  return text.replace(PORT_REF, (whole, name: string) => {
    const port = ports[name];
    if (port === undefined) throw new Error(`${whole} names an undeclared port`);
    return String(port);
  });
}

/** Every argument and env value of a process with its ports in place. */
export function expandProcess(p: Pick<SandboxProcess, 'command' | 'env'>, ports: Record<string, number>): { argv: string[]; env: Record<string, string> } {
  return {
    argv: p.command.map((a) => withPorts(a, ports)),
    env: Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, withPorts(v, ports)])),
  };
}

/** The environment a check runs with: every process's env, merged in manifest order, ports in place. */
export function checkEnv(processes: Pick<SandboxProcess, 'env'>[], ports: Record<string, number>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of processes) for (const [k, v] of Object.entries(p.env)) env[k] = withPorts(v, ports);
  return env;
}

/**
 * Which process serves each port: the one whose readiness probe names it, else the first (in
 * manifest order) that mentions it in its command or env. Its readiness announces the port.
 */
export function portOwners(processes: Pick<SandboxProcess, 'name' | 'command' | 'env' | 'ready'>[]): Map<string, string[]> {
  const owner = new Map<string, string>();
  for (const p of processes) if (p.ready && p.ready.type !== 'log' && !owner.has(p.ready.port)) owner.set(p.ready.port, p.name);
  for (const p of processes)
    for (const arg of [...p.command, ...Object.values(p.env)])
      for (const [, n] of arg.matchAll(PORT_REF)) if (!owner.has(n!)) owner.set(n!, p.name);
  const byProcess = new Map<string, string[]>();
  for (const [port, name] of owner) byProcess.set(name, [...(byProcess.get(name) ?? []), port]);
  return byProcess;
}

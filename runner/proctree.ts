// The processes of a run: its process groups (each sandbox process is started as the leader of
// its own group) and their descendants, read from /proc (or `ps` where /proc is absent).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Exited but not yet reaped: holds no resources worth counting and cannot be killed. */
  zombie: boolean;
}

const hasProc = existsSync('/proc/self/stat');

/** Parses /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses. */
function parseStat(text: string): ProcInfo | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const pid = Number.parseInt(text, 10);
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return null;
  return { pid, ppid, pgid, zombie: state === 'Z' || state === 'X' };
}

function parsePs(text: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const line of text.split('\n')) {
    const [pid, ppid, pgid, stat] = line.trim().split(/\s+/);
    if (!pid || !ppid || !pgid) continue;
    out.push({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), zombie: (stat ?? '').startsWith('Z') });
  }
  return out;
}

const PS_ARGS = ['-A', '-o', 'pid=,ppid=,pgid=,stat='];

/** The runner's own group: never signalled, whatever a sandbox does. */
const ownGroup = (() => {
  try {
    return hasProc ? (parseStat(readFileSync('/proc/self/stat', 'utf8'))?.pgid ?? -1) : -1;
  } catch {
    return -1;
  }
})();

export async function listProcesses(): Promise<ProcInfo[]> {
  if (!hasProc) {
    return new Promise((resolve) => {
      execFile('ps', PS_ARGS, { encoding: 'utf8' }, (error, stdout) => resolve(error ? [] : parsePs(stdout)));
    });
  }
  const names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const infos = await Promise.all(
    names.map((n) =>
      readFile(`/proc/${n}/stat`, 'utf8').then(
        (t) => parseStat(t),
        () => null,
      ),
    ),
  );
  return infos.filter((i): i is ProcInfo => i !== null);
}

export function listProcessesSync(): ProcInfo[] {
  if (!hasProc) {
    try {
      return parsePs(execFileSync('ps', PS_ARGS, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    } catch {
      return [];
    }
  }
  const out: ProcInfo[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const info = parseStat(readFileSync(`/proc/${n}/stat`, 'utf8'));
      if (info) out.push(info);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Live (non-zombie) processes in any of these groups, or descending from any of these pids. */
export function treeMembers(all: ProcInfo[], pgids: Iterable<number>, roots: Iterable<number> = []): ProcInfo[] {
  const groups = new Set(pgids);
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const found = new Map<number, ProcInfo>();
  const stack: number[] = [];
  for (const p of all) if (groups.has(p.pgid)) (found.set(p.pid, p), stack.push(p.pid));
  for (const r of roots) stack.push(r);
  while (stack.length) {
    const pid = stack.pop()!;
    for (const c of children.get(pid) ?? []) if (!found.has(c.pid)) (found.set(c.pid, c), stack.push(c.pid));
  }
  return [...found.values()].filter((p) => !p.zombie && p.pid !== process.pid);
}

/** Sends a signal to a process group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1 || pgid === process.pid || pgid === ownGroup) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function signalPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether any live (non-zombie) process remains in these groups or below these pids. */
export async function anyAlive(pgids: Iterable<number>, roots: Iterable<number> = []): Promise<boolean> {
  if (!hasProc) {
    for (const g of pgids) if (signalGroup(g, 0)) return true;
  }
  return treeMembers(await listProcesses(), pgids, roots).length > 0;
}

/**
 * SIGKILL every process in these groups and below these pids, synchronously: used on stop by
 * force, on a limit, and in the runner's exit path, where nothing asynchronous runs any more.
 */
export function killTreeSync(pgids: Iterable<number>, roots: Iterable<number> = []): void {
  const groups = [...pgids];
  // Find the descendants first: once their parents die they are re-parented and lost.
  const members = treeMembers(listProcessesSync(), groups, roots);
  for (const g of groups) signalGroup(g, 'SIGKILL');
  for (const p of members) {
    signalGroup(p.pgid, 'SIGKILL');
    signalPid(p.pid, 'SIGKILL');
  }
}

/**
 * Processes whose environment carries `name=value` (every process of a run inherits the run's
 * marker): finds a process that left its group and its parent (`setsid` after a double fork).
 * A process can still shed it (exec with a cleared environment); cgroups cannot be shed.
 */
export function markedProcessesSync(name: string, value: string): number[] {
  if (!hasProc) return [];
  const needle = Buffer.from(`${name}=${value}\0`);
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${n}/environ`);
      const at = env.indexOf(needle);
      if (at === 0 || (at > 0 && env[at - 1] === 0)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** SIGKILL every process carrying the marker, a few rounds (one may be forking as we look). */
export function killMarkedSync(name: string, value: string): number {
  let killed = 0;
  for (let round = 0; round < 3; round++) {
    const pids = markedProcessesSync(name, value);
    if (!pids.length) break;
    for (const pid of pids) if (signalPid(pid, 'SIGKILL')) killed++;
  }
  return killed;
}

// A control group per run, where this machine lets the runner make one (Linux, a writable
// cgroup v2 hierarchy; v1 `pids` and `memory` hierarchies stand in for controllers v2 lacks).
// A process in a cgroup cannot leave it by forking, `setsid` or being re-parented, so the run's
// processes are exactly its members: Stop kills them all (cgroup.kill), the process limit is
// the kernel's pids.max (a fork beyond it fails at once; it counts threads too, see TASKS_PER_PROCESS) and the memory limit its memory.max.
// HOTPOT_CGROUP=off turns it off; without it the runner falls back to process groups, the
// process tree and the HOTPOT_RUN marker every process inherits (see run.ts).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Hierarchy {
  /** The folder this process's own cgroup is in, in that hierarchy. */
  base: string;
  version: 1 | 2;
  /** What it offers a child: v2 lists its enabled controllers, v1 its one controller. */
  controllers: Set<string>;
}

function ownHierarchies(): Hierarchy[] {
  let cgroups: string;
  let mounts: string;
  try {
    cgroups = readFileSync('/proc/self/cgroup', 'utf8');
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: Hierarchy[] = [];
  for (const line of mounts.split('\n')) {
    // "36 25 0:31 / /sys/fs/cgroup/pids rw,… - cgroup cgroup rw,pids"
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions] = right.split(' ');
    const root = fields[3]!;
    const mountPoint = fields[4]!;
    if (fstype === 'cgroup2') {
      const own = /^0::(.*)$/m.exec(cgroups)?.[1];
      if (own === undefined) continue;
      const base = join(mountPoint, own.startsWith(root) ? own.slice(root.length) : own);
      let controllers = new Set<string>();
      try {
        // Enabling controllers for children works only where this cgroup holds no process (or is the root).
        writeFileSync(join(base, 'cgroup.subtree_control'), '+pids +memory');
      } catch {
        // not allowed here: the children still get membership and cgroup.kill
      }
      try {
        controllers = new Set(readFileSync(join(base, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean));
      } catch {
        // none
      }
      out.push({ base, version: 2, controllers });
    } else if (fstype === 'cgroup') {
      for (const controller of ['pids', 'memory']) {
        if (!(superOptions ?? '').split(',').includes(controller)) continue;
        const own = new RegExp(`^\\d+:(?:[^:]*,)?${controller}(?:,[^:]*)?:(.*)$`, 'm').exec(cgroups)?.[1];
        if (own === undefined) continue;
        out.push({ base: join(mountPoint, own.startsWith(root) ? own.slice(root.length) : own), version: 1, controllers: new Set([controller]) });
      }
    }
  }
  return out;
}

let detected: Hierarchy[] | null = null;

export function cgroupsDisabled(): boolean {
  return process.env.HOTPOT_CGROUP === 'off';
}

/**
 * pids.max counts tasks, threads included, and a Node process has about a dozen: the kernel's
 * cap is this many tasks per allowed process, and the runner's sampler counts processes.
 */
export const TASKS_PER_PROCESS = 16;

export interface CgroupLimits {
  processes: number;
  memoryBytes: number;
}

/** What the kernel counted against the run's limits so far. */
export interface CgroupEvents {
  /** Forks refused by pids.max. */
  pidsRefused: number;
  /** Processes the kernel killed for memory.max. */
  oomKills: number;
}

export class RunCgroup {
  /** The v2 group (membership, cgroup.kill), and the folders of every group made (v1 ones too). */
  readonly main: string;
  readonly dirs: string[];
  /** Whether the kernel enforces each limit (else the runner samples it). */
  readonly limitsProcesses: boolean;
  readonly limitsMemory: boolean;
  #pids: string | null;
  #memory: { dir: string; version: 1 | 2 } | null;

  private constructor(main: string, dirs: string[], pids: string | null, memory: { dir: string; version: 1 | 2 } | null) {
    this.main = main;
    this.dirs = dirs;
    this.#pids = pids;
    this.#memory = memory;
    this.limitsProcesses = pids !== null;
    this.limitsMemory = memory !== null;
  }

  /** A cgroup for one run, or null where none can be made (not Linux, not writable, HOTPOT_CGROUP=off). */
  static create(name: string, limits: CgroupLimits): RunCgroup | null {
    if (cgroupsDisabled() || process.platform !== 'linux') return null;
    detected ??= ownHierarchies();
    const v2 = detected.find((h) => h.version === 2);
    if (!v2) return null;
    const made: string[] = [];
    const make = (base: string): string | null => {
      const dir = join(base, name);
      try {
        mkdirSync(dir);
        made.push(dir);
        return dir;
      } catch {
        return null;
      }
    };
    const main = make(v2.base);
    if (!main) return null;
    let pids: string | null = null;
    let memory: { dir: string; version: 1 | 2 } | null = null;
    try {
      if (v2.controllers.has('pids') && existsSync(join(main, 'pids.max'))) {
        writeFileSync(join(main, 'pids.max'), String(limits.processes * TASKS_PER_PROCESS));
        pids = main;
      }
      if (v2.controllers.has('memory') && existsSync(join(main, 'memory.max'))) {
        writeFileSync(join(main, 'memory.max'), String(limits.memoryBytes));
        // No swap either: a limit that spills into swap only makes the machine slow.
        if (existsSync(join(main, 'memory.swap.max'))) writeFileSync(join(main, 'memory.swap.max'), '0');
        memory = { dir: main, version: 2 };
      }
    } catch {
      // a controller that refuses its limit is left to the runner's sampling
    }
    for (const h of detected.filter((x) => x.version === 1)) {
      try {
        if (h.controllers.has('pids') && !pids) {
          const dir = make(h.base);
          if (dir) (writeFileSync(join(dir, 'pids.max'), String(limits.processes * TASKS_PER_PROCESS)), (pids = dir));
        }
        if (h.controllers.has('memory') && !memory) {
          const dir = make(h.base);
          if (dir) (writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes)), (memory = { dir, version: 1 }));
        }
      } catch {
        // left to sampling
      }
    }
    return new RunCgroup(main, made, pids, memory);
  }

  /** The cgroup.procs files a new process must join, the run's own group first. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** Every process in the run's group. */
  members(): number[] {
    try {
      return readFileSync(join(this.main, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  }

  events(): CgroupEvents {
    const counter = (file: string, key: string): number => {
      try {
        const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'));
        return m ? Number(m[1]) : 0;
      } catch {
        return 0;
      }
    };
    return {
      pidsRefused: this.#pids ? counter(join(this.#pids, 'pids.events'), 'max') : 0,
      oomKills: this.#memory ? counter(join(this.#memory.dir, this.#memory.version === 2 ? 'memory.events' : 'memory.oom_control'), 'oom_kill') : 0,
    };
  }

  /** SIGKILL every member at once (cgroup.kill), or one by one where the kernel lacks it. */
  kill(): void {
    try {
      writeFileSync(join(this.main, 'cgroup.kill'), '1');
      return;
    } catch {
      // older kernels
    }
    for (let round = 0; round < 5; round++) {
      const members = this.members();
      if (!members.length) return;
      for (const pid of members) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }

  /** Removes the groups (they must be empty); false if one is still in use. */
  remove(): boolean {
    let ok = true;
    for (const dir of [...this.dirs].reverse()) {
      try {
        rmdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
      }
    }
    return ok;
  }
}

/**
 * The argument vector that starts `argv` inside the cgroup: a shell writes its own pid into
 * each cgroup.procs file, then becomes the command (exec keeps the pid), so not even the
 * command's first fork happens outside the group.
 */
export function inCgroup(procsFiles: string[], argv: string[]): string[] {
  const script = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"';
  return ['/bin/sh', '-c', script, 'hotpot-cgroup', ...procsFiles, '--', ...argv];
}

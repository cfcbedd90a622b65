// How a sandbox's `node` commands start, in every runtime. Sandbox code is TypeScript that Node
// runs without a build step; what that takes depends on the Node.js version that runs it (a
// local runner's own Node 22, or whatever a WebContainer ships), so the version decides.

export type TypeScriptSupport = 'native' | 'flag' | 'loader' | 'none';

/** Parses "v22.23.3" or "22.23.3"; null when it is not a version. */
export function parseVersion(text: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

const atLeast = (v: [number, number, number], major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

/**
 * What a Node.js version needs to run a `.ts` file: nothing (type stripping on by default since
 * 22.18 and 23.6), `--experimental-strip-types` (22.6 on), a loader registered with `--import`
 * (`module.register`, 20.6 on), or nothing can make it (older).
 */
export function typeScriptSupport(version: string): TypeScriptSupport {
  const v = parseVersion(version);
  if (!v) return 'none';
  if (atLeast(v, 23, 6) || (v[0] === 22 && v[1] >= 18)) return 'native';
  if (atLeast(v, 22, 6)) return 'flag';
  if (atLeast(v, 20, 6)) return 'loader';
  return 'none';
}

/** `--disable-warning` exists from 21.3 and, backported, 20.11. */
function canDisableOneWarning(version: string): boolean {
  const v = parseVersion(version);
  return !!v && (atLeast(v, 21, 3) || (v[0] === 20 && v[1] >= 11));
}

export interface NodeTarget {
  /** The Node.js version that runs the command. */
  version: string;
  /** Sandbox-relative path of a module that registers a type-stripping loader, for versions that need one. */
  stripLoader?: string;
}

/** The entry script: the first argument that is not a flag. */
function entryOf(args: string[]): string | undefined {
  return args.find((a) => !a.startsWith('-'));
}

/**
 * The arguments `node` gets for a manifest command's arguments (the command without `node`).
 * Native addons are refused everywhere (a WebContainer cannot load them, so a local run must
 * not either); type-stripping flags go only to `.ts` entry points, never to the bundled broker.
 */
export function nodeArgs(args: string[], target: NodeTarget): string[] {
  const flags = ['--no-addons', canDisableOneWarning(target.version) ? '--disable-warning=ExperimentalWarning' : '--no-warnings'];
  const entry = entryOf(args);
  if (entry && /\.m?ts$/.test(entry)) {
    const support = typeScriptSupport(target.version);
    if (support === 'flag') flags.push('--experimental-strip-types');
    else if (support === 'loader') {
      if (!target.stripLoader) throw new Error(`Node.js ${target.version} cannot run TypeScript by itself and no type-stripping loader is set up`);
      flags.push('--import', `./${target.stripLoader}`);
    } else if (support === 'none') throw new Error(`Node.js ${target.version} is too old to run the sandbox's TypeScript (it needs 20.6 or later)`);
  }
  return [...flags, ...args];
}

// File paths sent by the reader: every one is checked before anything is written, and writing
// itself never follows a symlink out of the run folder.
import { constants } from 'node:fs';
import { lstat, mkdir, open, rm } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export const MAX_PATH_LENGTH = 200;

const OUTSIDE = 'file paths must stay inside the sandbox';

/** Why this path is refused, in words for the reader (without the path), or null when it is fine. */
export function pathProblem(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'a file path must not be empty';
  if (path.includes('\0')) return 'file paths must not contain NUL characters';
  if (path.includes('\\')) return 'use "/" to separate folders, not "\\"';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || isAbsolute(path)) return OUTSIDE;
  const parts = path.split('/');
  if (parts.includes('..')) return OUTSIDE;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'file paths must not contain control characters';
  if (parts.includes('node_modules')) return 'node_modules is provided by the runner and cannot be sent';
  if (parts.some((p) => p === '' || p === '.')) return 'file paths must not contain empty or "." parts (like "a//b", "./a" or "a/")';
  if (path.length > MAX_PATH_LENGTH) return `file paths must be at most ${MAX_PATH_LENGTH} characters long`;
  return null;
}

/** The full sentence shown to the reader: `"../../etc/passwd" is refused: file paths must stay inside the sandbox`. */
export function describeRefusedPath(path: string, problem: string): string {
  return `${JSON.stringify(path)} is refused: ${problem}`;
}

export class PathError extends Error {
  readonly code = 'bad-path';
  readonly path: string;
  constructor(path: string, problem: string) {
    super(describeRefusedPath(path, problem));
    this.path = path;
  }
}

/** A clear error for a refused path, or null when the path is fine. */
export function checkPath(path: string): PathError | null {
  const problem = pathProblem(path);
  return problem ? new PathError(path, problem) : null;
}

/** The absolute location of `path` inside `root`; throws PathError when it is refused or would land outside. */
export function resolveInside(root: string, path: string): string {
  const error = checkPath(path);
  if (error) throw error;
  const base = resolve(root);
  const full = resolve(base, path);
  const rel = relative(base, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new PathError(path, OUTSIDE);
  return full;
}

/**
 * Paths that would need one entry to be both a file and a folder ("a" and "a/b"): refused,
 * since one of them could not be written.
 */
export function findPathConflict(paths: Iterable<string>): PathError | null {
  const files = new Set(paths);
  for (const p of files) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (files.has(folder)) return new PathError(p, `"${folder}" is a file, so it cannot also be a folder`);
    }
  }
  return null;
}

/**
 * Writes `content` at `path` inside `root`, creating folders on the way. No symlink is followed:
 * each folder on the way must be a real folder (created fresh when missing), and the file is
 * created with O_EXCL | O_NOFOLLOW. With `replace`, an existing file (or symlink) at the
 * path is removed first; the sandbox's own processes may have put anything there.
 */
export async function writeInside(root: string, path: string, content: string | Uint8Array, options: { replace?: boolean } = {}): Promise<void> {
  const full = resolveInside(root, path);
  const base = resolve(root);
  const parts = relative(base, full).split(sep);
  let dir = base;
  for (const part of parts.slice(0, -1)) {
    dir = `${dir}${sep}${part}`;
    const info = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (info === null) await mkdir(dir);
    else if (!info.isDirectory() || info.isSymbolicLink()) throw new PathError(path, `"${relative(base, dir).split(sep).join('/')}" is not a folder`);
  }
  if (options.replace) {
    const info = await lstat(full).catch(() => null);
    if (info?.isDirectory()) throw new PathError(path, 'a folder is already there');
    if (info) await rm(full, { force: true });
  }
  const handle = await open(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

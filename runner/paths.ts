// Writing the reader's files into a run folder: every path is checked by the engine's rules
// before anything is written, and writing itself never follows a symlink out of the folder.
import { constants } from 'node:fs';
import { lstat, mkdir, open, rm } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { OUTSIDE, PathError, checkPath } from '../engine/paths.ts';

export { MAX_PATH_LENGTH, PathError, checkPath, findPathConflict, pathProblem } from '../engine/paths.ts';

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

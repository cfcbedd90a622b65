// Writing the reader's files into a run folder: every path is checked by the engine's rules
// before anything is written, and writing itself never follows a symlink out of the folder.
import { constants, existsSync } from 'node:fs';
import { lstat, mkdir, open, rm, unlink, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MAX_NAME_BYTES, MAX_PATH_LENGTH, OUTSIDE, PathError, checkPath } from '../engine/paths.ts';

export { MAX_PATH_LENGTH, PathError, checkPath, findPathConflict, pathProblem } from '../engine/paths.ts';

/** The absolute location of `path` inside `root`; throws PathError when it is refused or would land outside. */
export function resolveInside(root: string, path: string): string {
  const error = checkPath(path);
  if (error) throw error;
  const base = resolve(root);
  const full = resolve(base, path);
  const rel = relative(base, full);
  // "..foo" is a name like any other; only ".." itself leads out.
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new PathError(path, OUTSIDE);
  return full;
}

const hasProcFd = existsSync('/proc/self/fd');

/** An fs error as a refusal that names the path the reader sent, never the run folder's. */
function asPathError(path: string, e: unknown): PathError {
  if (e instanceof PathError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENAMETOOLONG: `a file or folder name may be at most ${MAX_NAME_BYTES} bytes long, and the whole path at most ${MAX_PATH_LENGTH} characters`,
    ELOOP: 'a folder on the way is a symbolic link',
    ENOTDIR: 'a part of the path that must be a folder is a file',
    EISDIR: 'a folder is already there',
    EEXIST: 'something is already there',
    EACCES: 'the runner may not write there',
    EPERM: 'the runner may not write there',
    ENOSPC: 'the disk is full',
  };
  return new PathError(path, why[code ?? ''] ?? `it could not be written (${code ?? (e as Error).message})`);
}

/**
 * Writes `content` at `path` inside `root`, creating folders on the way, and never through a
 * symbolic link, even one a sandbox process puts in place while this runs: each folder is
 * opened with O_NOFOLLOW | O_DIRECTORY and the next name is looked up inside that open folder
 * (through /proc/self/fd, Linux's openat), so swapping a folder for a link between two steps
 * cannot move the write. The file is created with O_EXCL | O_NOFOLLOW. With `replace`, an
 * existing file (or symlink) at the path is removed first; the sandbox's own processes may
 * have put anything there. Failures are PathErrors in the reader's words.
 */
export async function writeInside(root: string, path: string, content: string | Uint8Array, options: { replace?: boolean } = {}): Promise<void> {
  const full = resolveInside(root, path);
  const base = resolve(root);
  const parts = relative(base, full).split(sep);
  if (!hasProcFd) return writeByPath(base, full, parts, path, content, options);
  const folderFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
  let dir: FileHandle;
  try {
    dir = await open(base, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    throw asPathError(path, e);
  }
  try {
    for (const [i, part] of parts.slice(0, -1).entries()) {
      const at = `/proc/self/fd/${dir.fd}/${part}`;
      let next: FileHandle;
      try {
        next = await open(at, folderFlags);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          await mkdir(at).catch((m: NodeJS.ErrnoException) => {
            if (m.code !== 'EEXIST') throw m;
          });
          next = await open(at, folderFlags);
        } else if (code === 'ELOOP' || code === 'ENOTDIR') {
          throw new PathError(path, `"${parts.slice(0, i + 1).join('/')}" is not a folder`);
        } else throw e;
      }
      await dir.close();
      dir = next;
    }
    const at = `/proc/self/fd/${dir.fd}/${parts.at(-1)!}`;
    if (options.replace) {
      const info = await lstat(at).catch(() => null);
      if (info?.isDirectory()) throw new PathError(path, 'a folder is already there');
      // unlink removes a symlink itself, never what it points at.
      if (info) await unlink(at).catch(() => {});
    }
    const handle = await open(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw asPathError(path, e);
  } finally {
    await dir.close().catch(() => {});
  }
}

/** Where /proc is absent (macOS): each folder checked with lstat, the file opened with O_NOFOLLOW (a narrow race remains; see README). */
async function writeByPath(base: string, full: string, parts: string[], path: string, content: string | Uint8Array, options: { replace?: boolean }): Promise<void> {
  try {
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
  } catch (e) {
    throw asPathError(path, e);
  }
}

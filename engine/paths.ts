// The path rules for files sent into a sandbox, in one place: the manifest schema, the local
// runner and the WebContainer adapter all refuse the same paths with the same words.

export const MAX_PATH_LENGTH = 200;
/** One file or folder name, in UTF-8 bytes (the limit of ext4, APFS and NTFS alike). */
export const MAX_NAME_BYTES = 255;

export const OUTSIDE = 'file paths must stay inside the sandbox';

/** Why this path is refused, in words for the reader (without the path), or null when it is fine. */
export function pathProblem(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'a file path must not be empty';
  if (path.includes('\0')) return 'file paths must not contain NUL characters';
  if (path.includes('\\')) return 'use "/" to separate folders, not "\\"';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return OUTSIDE;
  const parts = path.split('/');
  if (parts.includes('..')) return OUTSIDE;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'file paths must not contain control characters';
  if (parts.includes('node_modules')) return 'node_modules is provided by the runner and cannot be sent';
  if (parts.some((p) => p === '' || p === '.')) return 'file paths must not contain empty or "." parts (like "a//b", "./a" or "a/")';
  if (path.length > MAX_PATH_LENGTH) return `file paths must be at most ${MAX_PATH_LENGTH} characters long`;
  // Each name is one directory entry: file systems refuse more than 255 bytes.
  if (parts.some((p) => new TextEncoder().encode(p).length > MAX_NAME_BYTES)) return `a file or folder name may be at most ${MAX_NAME_BYTES} bytes long`;
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

// The part of StackBlitz's WebContainer API this adapter uses, and nothing more: the real
// `WebContainer` satisfies it, and so does the stand-in the tests run real processes with.
import type { FileSystemTree, WebContainer, WebContainerProcess } from '@webcontainer/api';
import type { FileMap } from '../../../sandboxes/schema.ts';

export type { FileSystemTree, WebContainerProcess };

export interface Container {
  mount(tree: FileSystemTree | Uint8Array | ArrayBuffer, options?: { mountPoint?: string }): Promise<void>;
  spawn(command: string, args: string[], options?: { env?: Record<string, string>; cwd?: string }): Promise<WebContainerProcess>;
  on(event: 'port', listener: (port: number, type: 'open' | 'close', url: string) => void): () => void;
  on(event: 'server-ready', listener: (port: number, url: string) => void): () => void;
  on(event: 'error', listener: (error: { message: string }) => void): () => void;
  fs: {
    readdir(path: string, options: { withFileTypes: true }): Promise<{ name: string; isDirectory(): boolean }[]>;
    rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void>;
  };
  teardown(): void;
}

/** The real API is wider: this only type-checks while it still covers what the adapter uses. */
export const asContainer = (wc: WebContainer): Container => wc;

/** Files as a WebContainer tree: "a/b.ts" becomes {a: {directory: {"b.ts": {file}}}}. */
export function toTree(files: FileMap): FileSystemTree {
  const tree: FileSystemTree = {};
  for (const [path, contents] of Object.entries(files)) {
    const parts = path.split('/');
    let dir = tree;
    for (const part of parts.slice(0, -1)) {
      const node = (dir[part] ??= { directory: {} });
      if (!('directory' in node)) throw new Error(`${path}: ${part} is a file, not a folder`);
      dir = node.directory;
    }
    dir[parts.at(-1)!] = { file: { contents } };
  }
  return tree;
}

// Reads a sandbox folder: validates its manifest and assembles each step's starting and
// solution files. Runs in Node (the site build and the local runner), never in the browser.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxManifest, describeIssues, type FileMap } from './schema.ts';

export const sandboxesDir = fileURLToPath(new URL('.', import.meta.url));

export interface LoadedStep {
  id: string;
  title: string;
  files: FileMap;
  solution: FileMap;
}
export interface LoadedSandbox {
  dir: string;
  manifest: SandboxManifest;
  steps: LoadedStep[];
}

export class SandboxError extends Error {}

async function readTree(root: string): Promise<FileMap> {
  const out: FileMap = {};
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath, e.name);
    out[relative(root, abs).split(sep).join('/')] = await readFile(abs, 'utf8');
  }
  return out;
}

export async function loadSandbox(id: string, root = sandboxesDir): Promise<LoadedSandbox> {
  const dir = join(root, id);
  const file = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new SandboxError(`${file}: ${(e as Error).message}`);
  }
  const parsed = SandboxManifest.safeParse(raw);
  if (!parsed.success) throw new SandboxError(`${file}:\n${describeIssues(parsed.error)}`);
  const manifest = parsed.data;
  if (manifest.id !== id) throw new SandboxError(`${file}: id: "${manifest.id}" must match its folder "${id}"`);
  const base = await readTree(join(dir, 'files')).catch(() => {
    throw new SandboxError(`${file}: the folder files/ is missing`);
  });
  const steps: LoadedStep[] = [];
  let previous = base;
  for (const [i, step] of manifest.steps.entries()) {
    const overlay = async (folder: string, field: string) =>
      readTree(join(dir, folder)).catch(() => {
        throw new SandboxError(`${file}: steps.${i}.${field}: folder "${folder}" is missing`);
      });
    // Each step starts from the previous step's solution, plus its own starting overlay.
    const files = step.start ? { ...previous, ...(await overlay(step.start, 'start')) } : previous;
    const solution = { ...files, ...(await overlay(step.solution, 'solution')) };
    for (const f of step.check.files)
      await readFile(join(dir, f)).catch(() => {
        throw new SandboxError(`${file}: steps.${i}.check.files: "${f}" is missing`);
      });
    steps.push({ id: step.id, title: step.title, files, solution });
    previous = solution;
  }
  return { dir, manifest, steps };
}

export async function listSandboxes(root = sandboxesDir): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}

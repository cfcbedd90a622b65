// The sandbox manifest: one schema, used to validate every sandboxes/*/manifest.json
// at build time and in both runtimes, and as the TypeScript type of a manifest.
import { z } from 'zod';
import { pathProblem } from '../engine/paths.ts';
import { withPorts } from '../engine/ports.ts';

export { withPorts };

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'use lowercase words joined by "-"');

/** A path inside the sandbox, by the same rules every runtime applies to the reader's files. */
export const SandboxPath = z.string().superRefine((p, ctx) => {
  const problem = pathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * A command as an argument vector, never a shell line: no quoting rules to get wrong, and the
 * same vector works in a WebContainer's jsh and in a local spawn. Arguments may name ports as
 * ${port:NAME}; the runtime substitutes the port it allocated.
 */
export const Command = z.tuple([z.string().min(1)]).rest(z.string());

export const ReadinessProbe = z.discriminatedUnion('type', [
  /** Ready once something accepts TCP connections on the named port. */
  z.object({ type: z.literal('port'), port: slug }),
  /** Ready once GET on the named port and path answers with a status below 500. */
  z.object({ type: z.literal('http'), port: slug, path: z.string().startsWith('/').default('/') }),
  /** Ready once the process prints a line matching this regular expression. */
  z.object({
    type: z.literal('log'),
    pattern: z.string().min(1).refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'is not a valid regular expression'),
  }),
]);
export type ReadinessProbe = z.infer<typeof ReadinessProbe>;

export const SandboxProcess = z.object({
  /** Terminal tab label and the name used by Kill / Restart. */
  name: slug,
  /** One line for the terminal tab's tooltip. */
  description: z.string().default(''),
  /** "broker" marks the process that a REDIS_URL given to the runner replaces. */
  role: z.enum(['broker', 'worker', 'web', 'other']).default('other'),
  command: Command,
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
  ready: ReadinessProbe.optional(),
  readyTimeoutMs: z.number().int().positive().max(120_000).default(20_000),
  /** Offer Kill and Restart for this process in the workbench. */
  killable: z.boolean().default(false),
});
export type SandboxProcess = z.infer<typeof SandboxProcess>;

export const SandboxStep = z.object({
  id: slug,
  title: z.string().min(1),
  /**
   * Folder (relative to the sandbox) whose files overlay the previous step's solution (or files/)
   * to give the step's starting point. Omitted when files/ already holds it.
   */
  start: SandboxPath.optional(),
  /** Folder whose files overlay the starting point to give the reference solution. */
  solution: SandboxPath,
  /** The check: a command run inside the sandbox while it runs; exit 0 passes. Its last line of output is the reason shown. */
  check: z.object({
    command: Command,
    /** Files (relative to the sandbox) copied in for the check only; the reader never edits them. */
    files: z.array(SandboxPath).default([]),
    timeoutMs: z.number().int().positive().max(120_000).default(30_000),
  }),
});
export type SandboxStep = z.infer<typeof SandboxStep>;

export const SandboxManifest = z
  .object({
    id: slug,
    title: z.string().min(1),
    /** Named ports the sandbox listens on; a local runner may map them to free ones. */
    ports: z.record(slug, z.number().int().min(1024).max(65535)),
    /** Started in this order; each waits for the previous one's readiness probe. */
    processes: z.array(SandboxProcess).min(1).max(8),
    /** The port whose web page the preview shows. */
    preview: z
      .object({
        port: slug,
        path: z.string().startsWith('/').default('/'),
        /** A second page shown beside the first (another instance of the server, say), each with its own bar. */
        beside: z.object({ port: slug, path: z.string().startsWith('/').default('/') }).optional(),
      })
      .optional(),
    /** The port of the broker's inspector (keys, MONITOR, console), shown in the Broker tab. */
    inspector: z.object({ port: slug }).optional(),
    /** File opened first in the editor. */
    open: SandboxPath.optional(),
    steps: z.array(SandboxStep).min(1),
  })
  .superRefine((m, ctx) => {
    const ports = new Set(Object.keys(m.ports));
    const names = new Set<string>();
    m.processes.forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['processes', i, 'name'], message: `duplicate process name "${p.name}"` });
      names.add(p.name);
      if (p.ready && p.ready.type !== 'log' && !ports.has(p.ready.port))
        ctx.addIssue({ code: 'custom', path: ['processes', i, 'ready', 'port'], message: `unknown port "${p.ready.port}"; declare it in "ports"` });
      [...p.command, ...Object.values(p.env)].forEach((arg) => {
        for (const [, name] of arg.matchAll(/\$\{port:([^}]*)\}/g))
          if (!ports.has(name!)) ctx.addIssue({ code: 'custom', path: ['processes', i], message: `\${port:${name}} names an undeclared port` });
      });
    });
    if (m.preview && !ports.has(m.preview.port))
      ctx.addIssue({ code: 'custom', path: ['preview', 'port'], message: `unknown port "${m.preview.port}"` });
    if (m.preview?.beside && !ports.has(m.preview.beside.port))
      ctx.addIssue({ code: 'custom', path: ['preview', 'beside', 'port'], message: `unknown port "${m.preview.beside.port}"` });
    if (m.inspector && !ports.has(m.inspector.port))
      ctx.addIssue({ code: 'custom', path: ['inspector', 'port'], message: `unknown port "${m.inspector.port}"` });
    const steps = new Set<string>();
    m.steps.forEach((s, i) => {
      if (steps.has(s.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${s.id}"` });
      steps.add(s.id);
    });
  });
export type SandboxManifest = z.infer<typeof SandboxManifest>;

/** Files of a sandbox as the reader sees and edits them: path -> UTF-8 text. */
export const FileMap = z.record(SandboxPath, z.string());
export type FileMap = z.infer<typeof FileMap>;

/** "processes.1.ready.port: unknown port …" — the field named, for build errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
}

// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (eval.c). The Lua engine is
// in ../lua/scripting.ts.

import { ErrorReply, OK, err } from '../resp/reply.ts';
import type { Ctx, Handler } from './registry.ts';

function evalGeneric(sha: boolean, ro: boolean): Handler {
  return (ctx: Ctx, argv: string[]) => {
    // EVAL is flagged skip_monitor: Redis shows it before the commands it runs.
    if (ctx.srv.monitors.size > 0) ctx.srv.feedMonitors(ctx.client, argv, ctx.client.db);
    if (sha && argv[1]!.length !== 40) return err('NOSCRIPT No matching script. Please use EVAL.');
    return ctx.srv.scripting.eval(ctx.client, argv, { sha, ro });
  };
}

export const commands: Record<string, Handler> = {
  eval: evalGeneric(false, false),
  evalsha: evalGeneric(true, false),
  eval_ro: evalGeneric(false, true),
  evalsha_ro: evalGeneric(true, true),
  'script|load': (ctx, argv) => {
    const s = ctx.srv.scripting.createFunction(argv[2]!);
    if (s instanceof ErrorReply) return s;
    return s.sha;
  },
  'script|exists': (ctx, argv) => argv.slice(2).map((sha) => (ctx.srv.scripting.scripts.has(sha.toLowerCase()) ? 1 : 0)),
  'script|flush': (ctx, argv) => {
    if (argv.length === 3) {
      const m = argv[2]!.toLowerCase();
      if (m !== 'sync' && m !== 'async') return err('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    } else if (argv.length > 3) return err('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    ctx.srv.scripting.reset();
    return OK;
  },
  'script|kill': (ctx) => ctx.srv.scripting.kill(),
  'script|debug': (_ctx, argv) => {
    const m = argv[2]!.toLowerCase();
    if (m === 'no') return OK;
    if (m === 'yes' || m === 'sync') return err('ERR SCRIPT DEBUG is not supported by this server');
    return err("ERR Use SCRIPT DEBUG YES/SYNC/NO");
  },
  'script|help': () => [
    'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'DEBUG (YES|SYNC|NO)',
    '    Set the debug mode for subsequent scripts executed.',
    'EXISTS <sha1> [<sha1> ...]',
    '    Return information about the existence of the scripts in the script cache.',
    'FLUSH [ASYNC|SYNC]',
    '    Flush the Lua scripts cache. Very dangerous on replicas.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the scripts cache.',
    '    * SYNC: Synchronously flush the scripts cache.',
    'KILL',
    '    Kill the currently executing Lua script.',
    'LOAD <script>',
    '    Load a script into the scripts cache without executing it.',
    'HELP',
    '    Print this help.',
  ],
};


// MULTI / EXEC / DISCARD / WATCH / UNWATCH (multi.c).
//
// Commands queued after MULTI run back to back inside EXEC, with time frozen
// and blocking commands acting as if they timed out. A command rejected while
// queueing (unknown, wrong arity, OOM...) makes EXEC answer EXECABORT; a
// modified or expired WATCHed key makes it answer a null array.

import { NULL_ARRAY, OK, err, type Reply } from '../resp/reply.ts';
import type { Client } from '../client.ts';
import type { Server } from '../server.ts';
import { Block, type Handler } from './registry.ts';

/** isWatchedKeyExpired: a key that was alive at WATCH time has expired since. */
function watchedKeyExpired(srv: Server, c: Client): boolean {
  for (const w of c.watched) {
    if (w.expired) continue;
    const db = srv.ks.dbs[w.db]!;
    const when = db.getExpire(w.key);
    if (when !== undefined && db.peek(w.key) !== undefined && when <= srv.ks.now()) return true;
  }
  return false;
}

const exec: Handler = (ctx) => {
  const c = ctx.client;
  const srv = ctx.srv;
  const m = c.multi;
  if (!m) return err('ERR EXEC without MULTI');
  if (m.dirtyExec) {
    srv.discardTransaction(c);
    return err('EXECABORT Transaction discarded because of previous errors.');
  }
  if (c.dirtyCas || watchedKeyExpired(srv, c)) {
    srv.discardTransaction(c);
    return NULL_ARRAY;
  }
  // Unwatch before running so our own writes do not mark us dirty.
  srv.unwatchAll(c);
  c.multi = null;
  const replies: Reply[] = [];
  const queue = m.queue;
  const run = (i: number): Reply | Promise<Reply> => {
    for (; i < queue.length; i++) {
      const { spec, argv } = queue[i]!;
      let r = srv.exec(c, spec, argv, false, true);
      if (r instanceof Promise) {
        const next = i + 1;
        return r.then((value) => {
          replies.push(value);
          srv.afterQueued(c, spec, argv, value);
          return run(next);
        });
      }
      if (r instanceof Block) r = r.timeoutReply;
      replies.push(r);
      srv.afterQueued(c, spec, argv, r);
    }
    return replies;
  };
  return run(0);
};

export const commands: Record<string, Handler> = {
  multi: (ctx) => {
    const c = ctx.client;
    if (c.multi) return err('ERR MULTI calls can not be nested');
    c.multi = { queue: [], dirtyExec: false, hasWrite: false, hasDenyOom: false };
    return OK;
  },
  exec,
  discard: (ctx) => {
    const c = ctx.client;
    if (!c.multi) return err('ERR DISCARD without MULTI');
    ctx.srv.discardTransaction(c);
    return OK;
  },
  watch: (ctx, argv) => {
    const c = ctx.client;
    if (c.multi) return err('ERR WATCH inside MULTI is not allowed');
    for (const key of argv.slice(1)) ctx.srv.watch(c, key);
    return OK;
  },
  unwatch: (ctx) => {
    ctx.srv.unwatchAll(ctx.client);
    return OK;
  },
};


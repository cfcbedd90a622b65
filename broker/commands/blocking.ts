// The shape BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP share (and LMPOP and ZMPOP,
// without the waiting): pop from the first of the keys that holds something, else block on
// all of them and pop from whichever a later write makes ready.
import { NULL_ARRAY, type Reply } from '../resp/reply.ts';
import type { RList, ZSet } from '../store/types.ts';
import { Block, type Ctx } from './registry.ts';
import { isErr, lookupTyped } from './util.ts';

type Ctor<T> = abstract new (...args: never[]) => T;

export function popFirstReady<T extends RList | ZSet>(
  ctx: Ctx,
  keys: string[],
  type: Ctor<T>,
  isEmpty: (value: T) => boolean,
  pop: (ctx: Ctx, key: string, value: T) => Reply,
  /** Absolute deadline in ms (0: forever) to block until, or null for the non-blocking command. */
  deadline: number | null,
): Reply | Block {
  for (const key of keys) {
    const value = lookupTyped(ctx, key, type, true);
    if (isErr(value)) return value;
    if (value && !isEmpty(value)) return pop(ctx, key, value);
  }
  // Inside MULTI or a script a blocking command does not block: it answers as on timeout.
  if (deadline === null || ctx.noBlock) return NULL_ARRAY;
  return new Block(
    keys,
    deadline,
    (c, key) => {
      const value = c.db.getForWrite(key);
      if (!(value instanceof type) || isEmpty(value as T)) return undefined;
      return pop(c, key, value as T);
    },
    NULL_ARRAY,
  );
}

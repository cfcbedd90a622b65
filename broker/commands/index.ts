// Registers every command family.
import type { Registry } from './registry.ts';
import { commands as server } from './server.ts';
import { commands as keys } from './keys.ts';
import { commands as strings } from './strings.ts';
import { commands as hashes } from './hashes.ts';
import { commands as lists } from './lists.ts';
import { commands as sets } from './sets.ts';
import { commands as zsets } from './zsets.ts';
import { commands as streams } from './streams.ts';
import { commands as transactions } from './transactions.ts';
import { commands as pubsub } from './pubsub.ts';
import { commands as scripting } from './scripting.ts';

export function registerAll(r: Registry): void {
  for (const family of [server, keys, strings, hashes, lists, sets, zsets, streams, transactions, pubsub, scripting]) r.add(family);
}

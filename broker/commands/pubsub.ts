// Pub/Sub (pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
// PUBLISH and PUBSUB CHANNELS|NUMSUB|NUMPAT. Sharded variants behave like
// their classic counterparts on a single node.

import { Sequence, type Reply } from '../resp/reply.ts';
import { globMatch } from '../util/glob.ts';
import type { Handler } from './registry.ts';

const subscribe: Handler = (ctx, argv) => new Sequence(argv.slice(1).map((ch) => ctx.srv.subscribe(ctx.client, ch)));

const unsubscribe: Handler = (ctx, argv) => {
  const c = ctx.client;
  if (argv.length === 1) {
    if (c.channels.size === 0) return new Sequence([['unsubscribe', null, c.subscriptionCount]]);
    return new Sequence([...c.channels].map((ch) => ctx.srv.unsubscribe(c, ch)));
  }
  return new Sequence(argv.slice(1).map((ch) => ctx.srv.unsubscribe(c, ch)));
};

const psubscribe: Handler = (ctx, argv) => new Sequence(argv.slice(1).map((p) => ctx.srv.psubscribe(ctx.client, p)));

const punsubscribe: Handler = (ctx, argv) => {
  const c = ctx.client;
  if (argv.length === 1) {
    if (c.patterns.size === 0) return new Sequence([['punsubscribe', null, c.subscriptionCount]]);
    return new Sequence([...c.patterns].map((p) => ctx.srv.punsubscribe(c, p)));
  }
  return new Sequence(argv.slice(1).map((p) => ctx.srv.punsubscribe(c, p)));
};

export const commands: Record<string, Handler> = {
  subscribe,
  unsubscribe,
  psubscribe,
  punsubscribe,
  ssubscribe: (ctx, argv) =>
    new Sequence(
      argv.slice(1).map((ch) => {
        const r = ctx.srv.subscribe(ctx.client, ch) as Reply[];
        return ['ssubscribe', r[1]!, r[2]!];
      }),
    ),
  sunsubscribe: (ctx, argv) => {
    const c = ctx.client;
    const chans = argv.length === 1 ? [...c.channels] : argv.slice(1);
    if (chans.length === 0) return new Sequence([['sunsubscribe', null, c.subscriptionCount]]);
    return new Sequence(
      chans.map((ch) => {
        const r = ctx.srv.unsubscribe(c, ch) as Reply[];
        return ['sunsubscribe', r[1]!, r[2]!];
      }),
    );
  },
  publish: (ctx, argv) => ctx.srv.publish(argv[1]!, argv[2]!),
  spublish: (ctx, argv) => ctx.srv.publish(argv[1]!, argv[2]!),
  'pubsub|channels': (ctx, argv) => {
    const pat = argv[2];
    const out: string[] = [];
    for (const ch of ctx.srv.channels.keys()) if (pat === undefined || globMatch(pat, ch)) out.push(ch);
    return out;
  },
  'pubsub|numsub': (ctx, argv) => {
    const out: Reply[] = [];
    for (const ch of argv.slice(2)) out.push(ch, ctx.srv.channels.get(ch)?.size ?? 0);
    return out;
  },
  'pubsub|numpat': (ctx) => ctx.srv.patterns.size,
  'pubsub|shardchannels': () => [],
  'pubsub|shardnumsub': (_ctx, argv) => argv.slice(2).flatMap((ch) => [ch, 0]),
  'pubsub|help': () => [
    'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'CHANNELS [<pattern>]',
    "    Return the currently active channels matching a <pattern> (default: '*').",
    'NUMPAT',
    '    Return number of subscriptions to patterns.',
    'NUMSUB [<channel> ...]',
    '    Return the number of subscribers for the specified channels, excluding',
    '    pattern subscriptions(default: no channels).',
    'SHARDCHANNELS [<pattern>]',
    '    Return the currently active shard level channels matching a <pattern> (default: \'*\').',
    'SHARDNUMSUB [<shardchannel> ...]',
    '    Return the number of subscribers for the specified shard level channel(s)',
    'HELP',
    '    Print this help.',
  ],
};

// The channel layer: who is in which room (a "group"), and delivering an event to a room.
// Channels calls the same three operations group_add, group_discard and group_send.
//
// This one goes through the broker: groupSend publishes the event on the room's channel, and
// every instance with members in that room is subscribed to it and hands the event to its own
// sockets. Channels' RedisPubSubChannelLayer does the same; so would a real Redis at REDIS_URL.
import { Redis } from 'ioredis';
import type { RoomEvent } from './protocol.ts';
import { REDIS_URL } from './settings.ts';

/** A connected socket, as the layer sees it: something that can be handed an event. */
export interface Member {
  deliver(event: RoomEvent): void;
}

const PREFIX = 'chat:room:';

class RedisLayer {
  // Members connected to this process, by room; the broker knows nothing of sockets.
  #groups = new Map<string, { members: Set<Member>; subscribed: Promise<unknown> }>();
  // A subscribed Redis connection can only (un)subscribe, so publishing needs a second one.
  #pub = new Redis(REDIS_URL);
  #sub = new Redis(REDIS_URL);

  constructor() {
    for (const connection of [this.#pub, this.#sub]) connection.on('error', (err) => console.error(`broker: ${err.message}`));
    this.#sub.on('message', (channel: string, payload: string) => {
      const group = this.#groups.get(channel.slice(PREFIX.length));
      if (!group) return;
      // Anyone with access to the broker can publish here (redis-cli, the Broker tab): a
      // payload that is not ours is dropped, not allowed to crash the instance.
      let event: RoomEvent;
      try {
        event = JSON.parse(payload) as RoomEvent;
      } catch {
        console.error(`ignored a message on ${channel} that is not JSON`);
        return;
      }
      for (const member of group.members) member.deliver(event);
    });
  }

  async groupAdd(group: string, member: Member): Promise<void> {
    let entry = this.#groups.get(group);
    // The first member here: start hearing the room.
    if (!entry) {
      const subscribed = this.#subscriberReady().then(() => this.#sub.subscribe(PREFIX + group));
      const created = (entry = { members: new Set<Member>(), subscribed });
      this.#groups.set(group, created);
      // A failed subscribe is not kept: the next member to arrive tries again.
      subscribed.catch(() => this.#groups.get(group) === created && this.#groups.delete(group));
    }
    entry.members.add(member);
    // Resolves once the broker confirms, so nothing published after connect() is missed.
    await entry.subscribed;
  }

  // ioredis 5 lets a SUBSCRIBE sent while it is still connecting overtake its own handshake
  // (CLIENT SETINFO, then INFO): the connection is then in subscriber mode, the handshake is
  // refused, and ioredis resets the connection (ioredis issue #2037). Subscribe once it is ready.
  #subscriberReady(): Promise<void> {
    if (this.#sub.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.#sub.once('ready', () => resolve()));
  }

  async groupDiscard(group: string, member: Member): Promise<void> {
    const entry = this.#groups.get(group);
    if (!entry) return;
    entry.members.delete(member);
    if (entry.members.size === 0) {
      this.#groups.delete(group);
      await this.#sub.unsubscribe(PREFIX + group);
    }
  }

  /** Publishes the event; every instance subscribed to the room, this one included, delivers it. */
  async groupSend(group: string, event: RoomEvent): Promise<void> {
    await this.#pub.publish(PREFIX + group, JSON.stringify(event));
  }

  /** Every member of every group in this process. */
  everyone(): Member[] {
    return [...this.#groups.values()].flatMap((entry) => [...entry.members]);
  }

  /** Names of the groups with members in this process (for the monitor). */
  rooms(): string[] {
    return [...this.#groups.keys()];
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#pub.quit(), this.#sub.quit()]);
  }
}

export const layer = new RedisLayer();

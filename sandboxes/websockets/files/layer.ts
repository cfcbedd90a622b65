// The channel layer: who is in which room (a "group"), and delivering an event to a room.
// Channels calls the same three operations group_add, group_discard and group_send.
//
// This one keeps the groups in this process's memory, so it only knows the sockets connected
// to this instance: a participant on chat-b never hears one on chat-a.
import type { RoomEvent } from './protocol.ts';

/** A connected socket, as the layer sees it: something that can be handed an event. */
export interface Member {
  deliver(event: RoomEvent): void;
}

class InMemoryLayer {
  #groups = new Map<string, Set<Member>>();

  async groupAdd(group: string, member: Member): Promise<void> {
    let members = this.#groups.get(group);
    if (!members) this.#groups.set(group, (members = new Set()));
    members.add(member);
  }

  async groupDiscard(group: string, member: Member): Promise<void> {
    const members = this.#groups.get(group);
    if (!members) return;
    members.delete(member);
    if (members.size === 0) this.#groups.delete(group);
  }

  /** Hands the event to every member of the group connected to this process. */
  async groupSend(group: string, event: RoomEvent): Promise<void> {
    for (const member of this.#groups.get(group) ?? []) member.deliver(event);
  }

  /** Every member of every group in this process. */
  everyone(): Member[] {
    return [...this.#groups.values()].flatMap((members) => [...members]);
  }

  /** Names of the groups with members in this process (for the monitor). */
  rooms(): string[] {
    return [...this.#groups.keys()];
  }

  async close(): Promise<void> {}
}

export const layer = new InMemoryLayer();

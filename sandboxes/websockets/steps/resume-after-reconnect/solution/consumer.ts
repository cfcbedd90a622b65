// One ChatConsumer per WebSocket, like a Channels consumer: connect() when the socket opens,
// receive() for each message from the browser, disconnect() when it closes, and deliver()
// for each event of its room (Channels' chat_message handler).
import type { RawData, WebSocket } from 'ws';
import { isAfter, record, since } from './history.ts';
import { layer, type Member } from './layer.ts';
import { parseClientMessage, type RoomEvent, type Welcome } from './protocol.ts';
import { INSTANCE } from './settings.ts';

export class ChatConsumer implements Member {
  readonly socket: WebSocket;
  readonly room: string;
  readonly name: string;
  /** The id of the last message the page showed before it reconnected (?after=), or null. */
  readonly after: string | null;
  // While connect() replays the history, live events of the room wait here: none may
  // overtake the messages from before them.
  #held: RoomEvent[] | null = null;
  // The id of the last message the replay sent. A live copy of one of them can still come
  // (kept just before the replay read the stream, published just after): it is dropped.
  #replayedUpTo: string | null = null;

  constructor(socket: WebSocket, room: string, name: string, after: string | null = null) {
    this.socket = socket;
    this.room = room;
    this.name = name;
    this.after = after;
  }

  async connect() {
    this.#held = [];
    try {
      // Subscribed first, so nothing said from here on is missed...
      await layer.groupAdd(this.room, this);
      this.send({ type: 'welcome', room: this.room, name: this.name, instance: INSTANCE });
      // ...then what the page missed, from the stream every instance writes to...
      if (this.after)
        for (const event of await since(this.room, this.after)) {
          this.send(event);
          if (event.type === 'message' && event.id) this.#replayedUpTo = event.id;
        }
      // ...then what arrived live meanwhile, less what the replay already sent.
      const held = this.#held;
      this.#held = null;
      for (const event of held) this.deliver(event);
    } finally {
      this.#held = null;
    }
    await layer.groupSend(this.room, { type: 'join', room: this.room, name: this.name, at: Date.now(), instance: INSTANCE });
  }

  async receive(data: RawData, isBinary: boolean) {
    const message = parseClientMessage(data, isBinary);
    const event: RoomEvent = { type: 'message', room: this.room, name: this.name, text: message.text, at: Date.now(), instance: INSTANCE };
    // Kept before it is sent: the stream's id goes out with the message, and a page that
    // reconnects later can ask for what came after it.
    const id = await record(this.room, event);
    // To this room's group only, sender included: every screen in the room shows the same list.
    await layer.groupSend(this.room, { ...event, id });
  }

  // Runs however the socket ended: a close frame, a dropped connection, or the heartbeat.
  async disconnect() {
    await layer.groupDiscard(this.room, this);
    await layer.groupSend(this.room, { type: 'leave', room: this.room, name: this.name, at: Date.now(), instance: INSTANCE });
  }

  deliver(event: RoomEvent) {
    if (this.#held) {
      this.#held.push(event);
      return;
    }
    if (event.type === 'message' && event.id && this.#replayedUpTo && !isAfter(event.id, this.#replayedUpTo)) return;
    this.send(event);
  }

  send(message: RoomEvent | Welcome) {
    // A socket that is closing cannot take more; the layer may still hold it for a moment.
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

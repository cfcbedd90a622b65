// One ChatConsumer per WebSocket, like a Channels consumer: connect() when the socket opens,
// receive() for each message from the browser, disconnect() when it closes, and deliver()
// for each event of its room (Channels' chat_message handler).
import type { RawData, WebSocket } from 'ws';
import { layer, type Member } from './layer.ts';
import { parseClientMessage, type RoomEvent, type Welcome } from './protocol.ts';
import { INSTANCE } from './settings.ts';

export class ChatConsumer implements Member {
  readonly socket: WebSocket;
  readonly room: string;
  readonly name: string;
  /** The id of the last message the page showed before it reconnected (?after=), or null. */
  readonly after: string | null;

  constructor(socket: WebSocket, room: string, name: string, after: string | null = null) {
    this.socket = socket;
    this.room = room;
    this.name = name;
    this.after = after;
  }

  async connect() {
    await layer.groupAdd(this.room, this);
    this.send({ type: 'welcome', room: this.room, name: this.name, instance: INSTANCE });
    await layer.groupSend(this.room, { type: 'join', room: this.room, name: this.name, at: Date.now(), instance: INSTANCE });
  }

  async receive(data: RawData, isBinary: boolean) {
    const message = parseClientMessage(data, isBinary);
    const event: RoomEvent = { type: 'message', room: this.room, name: this.name, text: message.text, at: Date.now(), instance: INSTANCE };
    // To this room's group only, sender included: every screen in the room shows the same list.
    await layer.groupSend(this.room, event);
  }

  // Runs however the socket ended: a close frame, a dropped connection, or the heartbeat.
  async disconnect() {
    await layer.groupDiscard(this.room, this);
    await layer.groupSend(this.room, { type: 'leave', room: this.room, name: this.name, at: Date.now(), instance: INSTANCE });
  }

  deliver(event: RoomEvent) {
    this.send(event);
  }

  send(message: RoomEvent | Welcome) {
    // A socket that is closing cannot take more; the layer may still hold it for a moment.
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

// What the hub needs from a place to keep the workshop: records that survive a restart, and a
// fan-out that reaches every hub instance sharing the store. SQLite (one process, a file) and
// Redis (several processes behind a load balancer) both pass test/unit/workshop-store-contract.ts.
import type { Attendee, Broadcast, Workshop } from '../schema.ts';

export interface WorkshopStore {
  readonly kind: 'sqlite' | 'redis';
  /** The stored value, or `value` stored now if there was none (the first hub to start wins). */
  setting(key: string, value: string): Promise<string>;
  /** Fails with CodeTaken when another workshop has the same short code. */
  createWorkshop(w: Workshop): Promise<void>;
  saveWorkshop(w: Workshop): Promise<void>;
  workshop(id: string): Promise<Workshop | null>;
  workshopByCode(code: string): Promise<Workshop | null>;
  /** Newest first. */
  workshops(): Promise<Workshop[]>;
  saveAttendee(a: Attendee): Promise<void>;
  /**
   * Read, change and write one record as one step, even with other hub instances writing
   * the same record: the result of `change` (null: leave it as it is), or null if none.
   */
  updateAttendee(id: string, change: (a: Attendee) => Attendee | null): Promise<Attendee | null>;
  updateWorkshop(id: string, change: (w: Workshop) => Workshop | null): Promise<Workshop | null>;
  attendee(id: string): Promise<Attendee | null>;
  /** In the order they joined. */
  attendees(workshop: string): Promise<Attendee[]>;
  /** Delivered to every subscriber of every instance on this store, this one included. */
  publish(message: Broadcast): Promise<void>;
  subscribe(listener: (message: Broadcast) => void): () => void;
  close(): Promise<void>;
}

export class CodeTaken extends Error {
  constructor(code: string) {
    super(`the short code ${code} is taken`);
  }
}

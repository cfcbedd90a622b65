// What the hub needs from a place to keep the workshop: records that survive a restart, and a
// fan-out that reaches every hub instance sharing the store. SQLite (one process, a file) and
// Redis (several processes behind a load balancer) both pass test/unit/workshop-store-contract.ts.
import type { Rate } from '../limits.ts';
import type { Attendee, Broadcast, Workshop } from '../schema.ts';

/** A token to spend from a rate-limit bucket along with an update (see `updateAttendee`). */
export interface Spend {
  /** The bucket, shared by every hub on this store (the same buckets `take` spends from). */
  bucket: string;
  rate: Rate;
  /** The hub's clock, in ms. */
  now: number;
}

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
  /** `announce`: published once the attendee is written (with it, in one step, where the store can). */
  saveAttendee(a: Attendee, announce?: Broadcast): Promise<void>;
  /**
   * Read, change and write one record as one step, even with other hub instances writing
   * the same record: the result of `change` (null: leave it as it is), or null if none.
   * `announce`: what to publish about the written record, after it is written (never when
   * nothing changed).
   * `spend`: a token taken from that bucket in the same step (one round trip on Redis), whether
   * or not anything changes; with none left, nothing is written and it fails with Limited.
   */
  updateAttendee(id: string, change: (a: Attendee) => Attendee | null, announce?: (a: Attendee) => Broadcast, spend?: Spend): Promise<Attendee | null>;
  updateWorkshop(id: string, change: (w: Workshop) => Workshop | null, announce?: (w: Workshop) => Broadcast): Promise<Workshop | null>;
  attendee(id: string): Promise<Attendee | null>;
  /** In the order they joined. */
  attendees(workshop: string): Promise<Attendee[]>;
  attendeeCount(workshop: string): Promise<number>;
  /**
   * Spends a token from the bucket `key` (shared by every hub on this store), or answers in
   * how many seconds one is back. `now`: the hub's clock, in ms.
   */
  take(key: string, rate: Rate, now: number): Promise<number>;
  /** Delivered to every subscriber of every instance on this store, this one included. */
  publish(message: Broadcast): Promise<void>;
  /** `text`: the message as JSON, serialized once for every socket it goes to. */
  subscribe(listener: (message: Broadcast, text: string) => void): () => void;
  close(): Promise<void>;
}

export class CodeTaken extends Error {
  constructor(code: string) {
    super(`the short code ${code} is taken`);
  }
}

/** No token was left in a rate-limit bucket: nothing was written. */
export class Limited extends Error {
  /** Seconds until a token is back. */
  readonly wait: number;
  constructor(wait: number) {
    super(`rate limit: a token is back in ${wait} s`);
    this.wait = wait;
  }
}

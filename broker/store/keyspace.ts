// The keyspace: 16 databases of typed values with millisecond expiry. Every
// command family, MULTI/EXEC and Lua scripts go through these methods, so
// expiry, WATCH invalidation, blocking-key wakeups and memory accounting
// behave the same whichever path touched a key.

import { Acct, OVERHEAD, RList, Stream, ZSet, valueBytes, type Value } from './types.ts';

/** What the keyspace needs to know about a client (WATCH and blocking). */
export interface Watcher {
  dirtyCas: boolean;
}

/** One WATCHed key of one client (Redis's watchedKey). */
export interface WatchEntry {
  client: Watcher;
  db: number;
  key: string;
  /** The key was already logically expired when WATCH ran. */
  expired: boolean;
}

export class Database {
  readonly id: number;
  readonly dict = new Map<string, Value>();
  readonly expires = new Map<string, number>();
  /** WATCHed keys -> the watch entries of the clients watching them. */
  readonly watched = new Map<string, WatchEntry[]>();
  /** Keys that clients are blocked on -> number of blocked clients. */
  readonly blockingKeys = new Map<string, number>();
  /** Iterator state of the active expire cycle. */
  expireCursor: Iterator<[string, number]> | null = null;
  private readonly ks: Keyspace;

  constructor(id: number, ks: Keyspace) {
    this.id = id;
    this.ks = ks;
  }

  get size(): number {
    return this.dict.size;
  }

  /** True if the key exists and is expired at the keyspace's current time. */
  private isExpired(key: string): boolean {
    const when = this.expires.get(key);
    return when !== undefined && when <= this.ks.now();
  }

  /** Lazy expiry: deletes the key if its time has come. Returns true if it was deleted. */
  expireIfNeeded(key: string): boolean {
    if (!this.isExpired(key)) return false;
    this.deleteKey(key);
    this.ks.stats.expiredKeys++;
    this.signalModified(key);
    this.ks.notify('expired', key, this.id);
    return true;
  }

  /** Read a key (after lazy expiry). Counts a keyspace hit or miss like lookupKeyRead. */
  get(key: string): Value | undefined {
    if (this.expires.size > 0) this.expireIfNeeded(key);
    const v = this.dict.get(key);
    if (v === undefined) this.ks.stats.misses++;
    else this.ks.stats.hits++;
    return v;
  }

  /** Lookup for writing: no hit/miss statistics. */
  getForWrite(key: string): Value | undefined {
    if (this.expires.size > 0) this.expireIfNeeded(key);
    return this.dict.get(key);
  }

  /** Lookup without touching statistics or expiry (used by WATCH checks and SCAN filters). */
  peek(key: string): Value | undefined {
    return this.dict.get(key);
  }

  has(key: string): boolean {
    if (this.expires.size > 0) this.expireIfNeeded(key);
    return this.dict.has(key);
  }

  /**
   * Add or overwrite a key. `keepTtl` keeps an existing expire (SET KEEPTTL);
   * otherwise any expire is removed, like setKey().
   */
  set(key: string, v: Value, keepTtl = false): void {
    const old = this.dict.get(key);
    const acct = this.ks.acct;
    if (old !== undefined) {
      acct.used -= valueBytes(old);
      if (typeof old !== 'string') old.acct = null;
    } else {
      acct.used += OVERHEAD.key + key.length;
      this.ks.notify('new', key, this.id);
    }
    this.dict.set(key, v);
    if (typeof v !== 'string') v.acct = acct;
    acct.used += valueBytes(v);
    if (!keepTtl) this.expires.delete(key);
    if (old === undefined || typeof old !== typeof v) this.signalReady(key, v);
  }

  /** Store a new container value for a key that does not exist yet. */
  add(key: string, v: Value): void {
    this.set(key, v);
  }

  /** Remove a key (no expiry check). Returns true if it existed. */
  deleteKey(key: string): boolean {
    const old = this.dict.get(key);
    if (old === undefined) return false;
    this.dict.delete(key);
    this.expires.delete(key);
    this.ks.acct.used -= OVERHEAD.key + key.length + valueBytes(old);
    if (typeof old !== 'string') old.acct = null;
    return true;
  }

  /** DEL semantics: lazy-expire first, then delete; returns whether a live key was removed. */
  del(key: string): boolean {
    if (this.expires.size > 0) this.expireIfNeeded(key);
    return this.deleteKey(key);
  }

  /** Remove container keys that became empty after a write. */
  deleteIfEmpty(key: string, v: Value): boolean {
    if (typeof v === 'string') return false;
    const empty = v instanceof RList ? v.length === 0 : v instanceof Stream ? false : v.size === 0;
    if (empty) {
      this.deleteKey(key);
      return true;
    }
    return false;
  }

  setExpire(key: string, when: number): void {
    this.expires.set(key, when);
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  removeExpire(key: string): boolean {
    return this.expires.delete(key);
  }

  /** signalModifiedKey / touchWatchedKey: invalidates WATCHes on this key. */
  signalModified(key: string): void {
    if (this.watched.size === 0) return;
    const ws = this.watched.get(key);
    if (!ws) return;
    for (const w of ws) {
      if (w.expired) {
        // Watched while already expired: its deletion is no logical change.
        if (!this.dict.has(key)) {
          w.expired = false;
          continue;
        }
        break; // (sic) as in Redis 7.0
      }
      w.client.dirtyCas = true;
    }
  }

  /** touchAllWatchedKeysInDb (FLUSHDB, FLUSHALL, SWAPDB). */
  touchAllWatched(replacedWith: Database | null): void {
    for (const [key, ws] of this.watched) {
      if (!this.dict.has(key) && !(replacedWith && replacedWith.dict.has(key))) continue;
      for (const w of ws) {
        if (w.expired) {
          if (!replacedWith || !replacedWith.dict.has(key)) {
            w.expired = false;
            continue;
          }
          break;
        }
        w.client.dirtyCas = true;
      }
    }
  }

  /** signalKeyAsReady: lets clients blocked on this key retry. */
  signalReady(key: string, v?: Value): void {
    if (!this.blockingKeys.has(key)) return;
    if (v !== undefined && !(v instanceof RList || v instanceof ZSet || v instanceof Stream)) return;
    this.ks.readyKeys.push({ db: this.id, key });
  }

  flush(): void {
    for (const [key, v] of this.dict) {
      if (typeof v !== 'string') v.acct = null;
      this.ks.acct.used -= OVERHEAD.key + key.length + valueBytes(v);
    }
    this.dict.clear();
    this.expires.clear();
    this.expireCursor = null;
  }

  swapContents(other: Database): void {
    const d = [...this.dict];
    const e = [...this.expires];
    this.dict.clear();
    this.expires.clear();
    for (const [k, v] of other.dict) this.dict.set(k, v);
    for (const [k, v] of other.expires) this.expires.set(k, v);
    other.dict.clear();
    other.expires.clear();
    for (const [k, v] of d) other.dict.set(k, v);
    for (const [k, v] of e) other.expires.set(k, v);
    this.expireCursor = null;
    other.expireCursor = null;
  }

  /** A random live key (RANDOMKEY), or undefined. */
  randomKey(): string | undefined {
    const n = this.dict.size;
    if (n === 0) return undefined;
    for (let tries = 0; tries < 100; tries++) {
      let i = Math.floor(Math.random() * this.dict.size);
      for (const k of this.dict.keys()) {
        if (i-- === 0) {
          if (this.expireIfNeeded(k)) break;
          return k;
        }
      }
      if (this.dict.size === 0) return undefined;
    }
    return undefined;
  }
}

export interface KeyEvent {
  db: number;
  key: string;
}

export class Keyspace {
  readonly dbs: Database[] = [];
  readonly acct = new Acct();
  /** Keys signalled ready for blocked clients since the last handleBlocked pass. */
  readyKeys: KeyEvent[] = [];
  readonly stats = { hits: 0, misses: 0, expiredKeys: 0 };
  /** Frozen time during a command, a transaction or a script (Redis's cached mstime). */
  private frozen: number | null = null;
  /** Keyspace notification hook (set by the server). */
  notify: (event: string, key: string, db: number) => void = () => {};

  constructor(n = 16) {
    for (let i = 0; i < n; i++) this.dbs.push(new Database(i, this));
  }

  now(): number {
    return this.frozen ?? Date.now();
  }

  /** Freeze time for the duration of fn (nested calls keep the outer time). */
  withFrozenTime<T>(fn: () => T): T {
    if (this.frozen !== null) return fn();
    this.frozen = Date.now();
    try {
      return fn();
    } finally {
      this.frozen = null;
    }
  }

  freeze(): void {
    if (this.frozen === null) this.frozen = Date.now();
  }

  unfreeze(): void {
    this.frozen = null;
  }

  get frozenNow(): boolean {
    return this.frozen !== null;
  }

  /**
   * Active expiry: look at up to `budget` keys with an expire in each database
   * and delete the expired ones (Redis samples randomly; we walk in order).
   */
  activeExpireCycle(budget = 200): number {
    let removed = 0;
    const now = Date.now();
    for (const db of this.dbs) {
      if (db.expires.size === 0) continue;
      let it = db.expireCursor ?? db.expires.entries();
      let left = Math.min(budget, db.expires.size);
      const doomed: string[] = [];
      while (left-- > 0) {
        let r = it.next();
        if (r.done) {
          it = db.expires.entries();
          r = it.next();
          if (r.done) break;
        }
        const [key, when] = r.value;
        if (when <= now) doomed.push(key);
      }
      db.expireCursor = it;
      for (const key of doomed) {
        if (db.expireIfNeeded(key)) removed++;
      }
    }
    return removed;
  }

  /** SWAPDB: exchange contents (watchers and blocked clients stay with the index). */
  swapDbs(a: number, b: number): void {
    const da = this.dbs[a]!;
    const db = this.dbs[b]!;
    da.touchAllWatched(db);
    db.touchAllWatched(da);
    da.swapContents(db);
    for (const d of [da, db]) for (const key of d.dict.keys()) if (d.blockingKeys.has(key)) this.readyKeys.push({ db: d.id, key });
  }

  flushAll(): void {
    for (const db of this.dbs) {
      db.touchAllWatched(null);
      db.flush();
    }
  }
}

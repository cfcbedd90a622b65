// The default store: one SQLite file through node:sqlite (built into Node 22, no native
// addon). Every change is written before the hub answers, so a killed hub loses nothing.
// Fan-out stays in this process: one hub owns one file.
import { DatabaseSync } from 'node:sqlite';
import { memoryBuckets } from '../limits.ts';
import { Attendee, Workshop, type Broadcast } from '../schema.ts';
import { CodeTaken, Limited, type WorkshopStore } from './types.ts';

export function openSqliteStore(file: string): WorkshopStore {
  const db = new DatabaseSync(file);
  // WAL: readers do not wait for the writer, and a crash mid-write leaves the last commit.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  db.exec(`
    CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS workshops (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS attendees (id TEXT PRIMARY KEY, workshop TEXT NOT NULL, joined_at INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS attendees_by_workshop ON attendees (workshop, joined_at);
  `);
  const q = {
    getSetting: db.prepare('SELECT value FROM settings WHERE key = ?'),
    putSetting: db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)'),
    insertWorkshop: db.prepare('INSERT INTO workshops (id, code, created_at, data) VALUES (?, ?, ?, ?)'),
    updateWorkshop: db.prepare('UPDATE workshops SET data = ? WHERE id = ?'),
    workshop: db.prepare('SELECT data FROM workshops WHERE id = ?'),
    byCode: db.prepare('SELECT data FROM workshops WHERE code = ?'),
    workshops: db.prepare('SELECT data FROM workshops ORDER BY created_at DESC, id'),
    putAttendee: db.prepare('INSERT INTO attendees (id, workshop, joined_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data'),
    attendee: db.prepare('SELECT data FROM attendees WHERE id = ?'),
    attendees: db.prepare('SELECT data FROM attendees WHERE workshop = ? ORDER BY joined_at, id'),
    attendeeCount: db.prepare('SELECT count(*) AS n FROM attendees WHERE workshop = ?'),
  };
  const listeners = new Set<(m: Broadcast, text: string) => void>();
  // One hub owns the file, so its rate limits can stay in its memory.
  const buckets = memoryBuckets();
  const publish = (message: Broadcast) => {
    const text = JSON.stringify(message);
    // Asynchronous, as over Redis: a subscriber never runs inside the publisher's call.
    queueMicrotask(() => listeners.forEach((l) => l(message, text)));
  };
  const row = (r: unknown) => (r as { data: string } | undefined)?.data;
  const ws = (data: string | undefined) => (data === undefined ? null : Workshop.parse(JSON.parse(data)));
  const at = (data: string | undefined) => (data === undefined ? null : Attendee.parse(JSON.parse(data)));

  return {
    kind: 'sqlite',
    async setting(key, value) {
      q.putSetting.run(key, value);
      return (q.getSetting.get(key) as { value: string }).value;
    },
    async createWorkshop(w) {
      try {
        q.insertWorkshop.run(w.id, w.code, w.createdAt, JSON.stringify(Workshop.parse(w)));
      } catch (e) {
        if (/UNIQUE constraint failed: workshops.code/.test((e as Error).message)) throw new CodeTaken(w.code);
        throw e;
      }
    },
    async saveWorkshop(w) {
      q.updateWorkshop.run(JSON.stringify(Workshop.parse(w)), w.id);
    },
    workshop: async (id) => ws(row(q.workshop.get(id))),
    workshopByCode: async (code) => ws(row(q.byCode.get(code))),
    workshops: async () => q.workshops.all().map((r) => ws(row(r))!),
    async saveAttendee(a, announce) {
      q.putAttendee.run(a.id, a.workshop, a.joinedAt, JSON.stringify(Attendee.parse(a)));
      if (announce) publish(announce);
    },
    attendee: async (id) => at(row(q.attendee.get(id))),
    // node:sqlite is synchronous: nothing else runs between the read and the write.
    async updateAttendee(id, change, announce, spend) {
      const a = at(row(q.attendee.get(id)));
      if (a && spend) {
        const wait = buckets.take(spend.bucket, spend.rate, spend.now);
        if (wait) throw new Limited(wait);
      }
      const next = a && change(a);
      if (!next) return a;
      q.putAttendee.run(next.id, next.workshop, next.joinedAt, JSON.stringify(Attendee.parse(next)));
      if (announce) publish(announce(next));
      return next;
    },
    async updateWorkshop(id, change, announce) {
      const w = ws(row(q.workshop.get(id)));
      const next = w && change(w);
      if (!next) return w;
      q.updateWorkshop.run(JSON.stringify(Workshop.parse(next)), id);
      if (announce) publish(announce(next));
      return next;
    },
    attendees: async (workshop) => q.attendees.all(workshop).map((r) => at(row(r))!),
    attendeeCount: async (workshop) => (q.attendeeCount.get(workshop) as { n: number }).n,
    take: async (key, rate, now) => buckets.take(key, rate, now),
    async publish(message) {
      publish(message);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      if (db.isOpen) db.close();
    },
  };
}

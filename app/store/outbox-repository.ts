// Telemetry for the fleet (sales settled, board link changes, technician actions), kept until the relay has
// stored it: delivered at least once, in the order it happened. Ids are deterministic where the event is
// (one `sale.settled` per order and final state), so recording the same fact twice stores it once.
import { randomUUID } from 'node:crypto';
import type { Db } from './database.ts';

export interface OutboxEvent {
  readonly id: string;
  readonly type: string;
  readonly at: string;
  readonly data: unknown;
}

const KEEP_SENT_MS = 7 * 24 * 3600_000;

export class OutboxRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  record(type: string, data: unknown, id: string = randomUUID()): void {
    this.db
      .prepare('INSERT OR IGNORE INTO outbox (id, type, at, data) VALUES (?, ?, ?, ?)')
      .run(id, type, new Date(this.now()).toISOString(), JSON.stringify(data));
  }

  /** Records an event of which only the newest matters (a status): an unsent older one is dropped. */
  replaceUnsent(type: string, data: unknown): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM outbox WHERE type = ? AND sent_at IS NULL').run(type);
      this.record(type, data);
    })();
  }

  unsent(limit = 200): OutboxEvent[] {
    const rows = this.db
      .prepare('SELECT id, type, at, data FROM outbox WHERE sent_at IS NULL ORDER BY at, rowid LIMIT ?')
      .all(limit) as Array<{ id: string; type: string; at: string; data: string }>;
    return rows.map((r) => ({ id: r.id, type: r.type, at: r.at, data: JSON.parse(r.data) as unknown }));
  }

  /** Marks uploaded events and forgets those uploaded more than a week ago. */
  markSent(ids: readonly string[]): void {
    const at = this.now();
    const mark = this.db.prepare('UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL');
    this.db.transaction(() => {
      for (const id of ids) mark.run(at, id);
      this.db.prepare('DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?').run(at - KEEP_SENT_MS);
    })();
  }

  unsentCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL').get() as { n: number })
      .n;
  }
}

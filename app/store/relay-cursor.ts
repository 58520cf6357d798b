// The highest relay event sequence number this kiosk has committed, and the relay log epoch it belongs to.
// Sent in `hello` on every (re)connect so the relay replays exactly what the kiosk has not yet taken.
import type { Db } from './database.ts';

export class RelayCursor {
  constructor(private readonly db: Db) {
    // The epoch lives beside the cursor in a table of its own, created here (not in a migration) so this
    // one class owns everything about the relay cursor; an absent row means "no epoch seen yet".
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS relay_cursor_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch TEXT NOT NULL)',
    );
  }

  get(): number {
    return (this.db.prepare('SELECT last_seq FROM relay_cursor WHERE id = 1').get() as { last_seq: number })
      .last_seq;
  }

  /** Only moves forward: a late duplicate never rewinds the cursor. */
  advance(seq: number): void {
    this.db.prepare('UPDATE relay_cursor SET last_seq = max(last_seq, ?) WHERE id = 1').run(seq);
  }

  /** The relay log epoch the cursor counts in, or undefined before the relay named one. */
  epoch(): string | undefined {
    const row = this.db.prepare('SELECT epoch FROM relay_cursor_epoch WHERE id = 1').get() as
      { epoch: string } | undefined;
    return row?.epoch;
  }

  /**
   * The relay said where delivery resumes (a new epoch, or a log that lost what this kiosk saw): the cursor
   * becomes exactly that, even backwards. Events after it may come again; the sale's order records make
   * applying one twice a no-op.
   */
  resync(epoch: string, seq: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO relay_cursor_epoch (id, epoch) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch',
        )
        .run(epoch);
      this.db.prepare('UPDATE relay_cursor SET last_seq = ? WHERE id = 1').run(seq);
    })();
  }
}

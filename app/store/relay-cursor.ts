// The highest relay event sequence number this kiosk has committed. Sent in `hello` on every (re)connect so
// the relay replays exactly what the kiosk has not yet taken.
import type { Db } from './database.ts';

export class RelayCursor {
  constructor(private readonly db: Db) {}

  get(): number {
    return (this.db.prepare('SELECT last_seq FROM relay_cursor WHERE id = 1').get() as { last_seq: number })
      .last_seq;
  }

  /** Only moves forward: a late duplicate never rewinds the cursor. */
  advance(seq: number): void {
    this.db.prepare('UPDATE relay_cursor SET last_seq = max(last_seq, ?) WHERE id = 1').run(seq);
  }
}

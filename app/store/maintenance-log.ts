// What technicians did, for the next technician and the operator: test vends, stock counts, lanes switched
// off or on.
import type { Db } from './database.ts';
import type { OutboxRepository } from './outbox-repository.ts';

/**
 * The action of an interrupted vend refunded without the board's result (the agent restarted mid-vend and
 * the board offered no evidence): a technician should check whether the item came out.
 */
export const CHECK_INTERRUPTED_VEND = 'check_interrupted_vend';

export interface MaintenanceLogEntry {
  readonly at: number;
  readonly action: string;
  readonly lane: number | null;
  readonly detail: string | null;
}

export class MaintenanceLog {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly outbox: OutboxRepository,
  ) {}

  record(action: string, lane: number | null, detail: string): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO maintenance_log (at, action, lane, detail) VALUES (?, ?, ?, ?)')
        .run(this.now(), action, lane, detail);
      this.outbox.record('maintenance.action', { action, lane, detail });
    })();
  }

  /** The newest entries of one action, newest first. */
  ofAction(action: string, limit = 20): MaintenanceLogEntry[] {
    return this.db
      .prepare(
        'SELECT at, action, lane, detail FROM maintenance_log WHERE action = ? ORDER BY id DESC LIMIT ?',
      )
      .all(action, limit) as MaintenanceLogEntry[];
  }

  recent(limit = 20): MaintenanceLogEntry[] {
    return this.db
      .prepare('SELECT at, action, lane, detail FROM maintenance_log ORDER BY id DESC LIMIT ?')
      .all(limit) as MaintenanceLogEntry[];
  }
}

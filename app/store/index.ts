import { openDatabase, type Db } from './database.ts';
import { LanesRepository } from './lanes-repository.ts';
import { MaintenanceLog } from './maintenance-log.ts';
import { OutboxRepository } from './outbox-repository.ts';
import { OrdersRepository } from './orders-repository.ts';
import { RefundsRepository } from './refunds-repository.ts';
import { RelayCursor } from './relay-cursor.ts';

export * from './database.ts';
export * from './migrations.ts';
export * from './lanes-repository.ts';
export * from './maintenance-log.ts';
export * from './outbox-repository.ts';
export * from './order-retention.ts';
export * from './orders-repository.ts';
export * from './refunds-repository.ts';
export * from './relay-cursor.ts';

/** The agent's durable state: one SQLite file, one repository per table group. */
export interface Store {
  readonly db: Db;
  readonly lanes: LanesRepository;
  readonly orders: OrdersRepository;
  readonly refunds: RefundsRepository;
  readonly relayCursor: RelayCursor;
  readonly maintenanceLog: MaintenanceLog;
  readonly outbox: OutboxRepository;
  close(): void;
}

export function openStore(file: string, now: () => number = Date.now): Store {
  const db = openDatabase(file);
  const outbox = new OutboxRepository(db, now);
  return {
    db,
    lanes: new LanesRepository(db),
    orders: new OrdersRepository(db, now, outbox),
    refunds: new RefundsRepository(db, now),
    relayCursor: new RelayCursor(db),
    maintenanceLog: new MaintenanceLog(db, now, outbox),
    outbox,
    close: () => {
      db.pragma('optimize');
      db.close();
    },
  };
}

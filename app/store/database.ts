// Opens the agent's SQLite file with the durability settings money needs. Every state change with an
// outside effect is committed here before the effect, so a power cut at any instant leaves a state from which
// restart recovers (DESIGN.md, Invariants).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { migrate } from './migrations.ts';

export type Db = Database.Database;

export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
}

export function openDatabase(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new StoreOpenError(`cannot open the database ${file}: ${(err as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    // better-sqlite3 compiles WAL with synchronous=NORMAL by default: recent commits may vanish on power
    // loss. A recorded payment or vend intent must not, so FULL (research/electron.md §0.6).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok')
      throw new StoreOpenError(`database ${file} failed its integrity check: ${String(check)}`);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

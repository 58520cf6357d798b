// Portable SQL over either backend, for the parts of the relay that keep their own tables and queries
// (reconciliation in backend-bridge/reconcile/, the console's reads in operator/fleet-queries.ts): `?`
// placeholders, no backend-specific operators. SQLite runs the statements as written; PostgreSQL (pgPlainSql
// in pg-db.ts) gets `$1…$n` instead of the `?`s (no query here has a `?` in a string literal). int8 columns
// read back as numbers on both (pg-db.ts parses them).
import type { RelayDb } from './db.ts';

export type SqlParam = string | number | null;
export type SqlStatement = { sql: string; params: readonly SqlParam[] };

export interface PlainSql {
  all<R>(sql: string, params?: readonly SqlParam[]): Promise<R[]>;
  /** Runs the statements in one transaction, in order: all of them commit or none. */
  batch(statements: readonly SqlStatement[]): Promise<void>;
}

export function sqlitePlainSql(db: RelayDb): PlainSql {
  return {
    all<R>(sql: string, params: readonly SqlParam[] = []): Promise<R[]> {
      return Promise.resolve(db.prepare(sql).all(...params) as R[]);
    },
    batch(statements: readonly SqlStatement[]): Promise<void> {
      // Synchronous, so it never interleaves with the group commit's batches on the same connection.
      db.transaction(() => {
        for (const s of statements) db.prepare(s.sql).run(...s.params);
      })();
      return Promise.resolve();
    },
  };
}

/** `?` → `$n`, in order. */
export function numberedParams(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

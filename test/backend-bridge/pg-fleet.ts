// Relay instances on one real PostgreSQL server of the test file's own (test/helpers/postgres.ts): each call
// of twoInstances() makes a fresh database and starts two notify-relay processes on it.
import { after, before } from 'node:test';
import { startPostgres } from '../helpers/postgres.ts';
import type { PostgresServer } from '../helpers/postgres.ts';
import { startRelayProcess } from './relay-process.ts';
import type { RelayProcess } from './relay-process.ts';

let server: PostgresServer;
let databases = 0;

/** Starts the server before the file's tests and stops it after them. */
export function usePostgres(): void {
  before(async () => {
    server = await startPostgres();
  });
  after(() => server.stop());
}

/** A fresh database's URL and the relay config that uses it (the SQLite `db` of the base config dropped). */
export async function freshDatabase(): Promise<{ url: string; config: Record<string, unknown> }> {
  const url = await server.createDatabase(`relay${++databases}`);
  return { url, config: { db: undefined, database: { url } } };
}

/** Two relay processes on one fresh database, started one after the other (the second finds the schema). */
export async function twoInstances(): Promise<[RelayProcess, RelayProcess]> {
  const { config } = await freshDatabase();
  const a = await startRelayProcess(config);
  const b = await startRelayProcess(config);
  return [a, b];
}

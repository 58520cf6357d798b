// `notify-relay kiosk add|list|revoke|rotate`: fleet enrollment straight on the relay database (SQLite in
// WAL mode or PostgreSQL take these writes while relays run; they notice them within a fraction of a second).
import { dbPathFromArgs } from './config.ts';
import { addKiosk, revokeKiosk, rotateKiosk } from './enrollment.ts';
import { RelayConfigError } from './errors.ts';
import { openRelayStore } from './store.ts';

/** Runs one kiosk subcommand; `out` receives what the operator reads (a token is printed exactly once). */
export async function runKioskCommand(argv: readonly string[], out: (line: string) => void): Promise<void> {
  const { dbPath, positionals } = dbPathFromArgs(argv);
  const [verb, id, ...extra] = positionals;
  if (extra.length > 0) throw new RelayConfigError(`unexpected argument ${extra[0]}`);
  const store = await openRelayStore(dbPath);
  const db = store.enrollment;
  try {
    const now = new Date().toISOString();
    if (verb === 'list') {
      if (id !== undefined) throw new RelayConfigError('kiosk list takes no id');
      for (const k of await db.list()) {
        const state = k.revokedAt !== null ? `revoked ${k.revokedAt}` : 'active';
        out(`${k.id}\t${state}\tenrolled ${k.createdAt}${k.rotatedAt ? `\trotated ${k.rotatedAt}` : ''}`);
      }
      return;
    }
    if (id === undefined) throw new RelayConfigError(`kiosk ${verb ?? ''}: which kiosk? (an id)`);
    if (verb === 'add') return out(await addKiosk(db, id, now));
    if (verb === 'rotate') return out(await rotateKiosk(db, id, now));
    if (verb === 'revoke') {
      await revokeKiosk(db, id, now);
      return out(`kiosk ${id} revoked`);
    }
    throw new RelayConfigError(
      `unknown kiosk command ${JSON.stringify(verb ?? '')}: add, list, revoke, rotate`,
    );
  } finally {
    await store.close();
  }
}

// `notify-relay kiosk add|list|revoke|rotate`: fleet enrollment straight on the relay database (SQLite in
// WAL mode takes these writes while the relay runs; the relay notices them within a fraction of a second).
import { dbPathFromArgs } from './config.ts';
import { openRelayDb } from './db.ts';
import { addKiosk, listKiosks, revokeKiosk, rotateKiosk } from './enrollment.ts';
import { RelayConfigError } from './errors.ts';

/** Runs one kiosk subcommand; `out` receives what the operator reads (a token is printed exactly once). */
export function runKioskCommand(argv: readonly string[], out: (line: string) => void): void {
  const { dbPath, positionals } = dbPathFromArgs(argv);
  const [verb, id, ...extra] = positionals;
  if (extra.length > 0) throw new RelayConfigError(`unexpected argument ${extra[0]}`);
  const db = openRelayDb(dbPath);
  try {
    const now = new Date().toISOString();
    if (verb === 'list') {
      if (id !== undefined) throw new RelayConfigError('kiosk list takes no id');
      for (const k of listKiosks(db)) {
        const state = k.revokedAt !== null ? `revoked ${k.revokedAt}` : 'active';
        out(`${k.id}\t${state}\tenrolled ${k.createdAt}${k.rotatedAt ? `\trotated ${k.rotatedAt}` : ''}`);
      }
      return;
    }
    if (id === undefined) throw new RelayConfigError(`kiosk ${verb ?? ''}: which kiosk? (an id)`);
    if (verb === 'add') return out(addKiosk(db, id, now));
    if (verb === 'rotate') return out(rotateKiosk(db, id, now));
    if (verb === 'revoke') {
      revokeKiosk(db, id, now);
      return out(`kiosk ${id} revoked`);
    }
    throw new RelayConfigError(
      `unknown kiosk command ${JSON.stringify(verb ?? '')}: add, list, revoke, rotate`,
    );
  } finally {
    db.close();
  }
}

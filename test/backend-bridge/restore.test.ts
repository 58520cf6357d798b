// Finding 5 on SQLite: restoring an older backup of the relay's database file must lose no payment (the
// scenario: restore-scenario.ts). The backup is SQLite's online backup of the live file; the restore puts it
// in place of the file (its -wal and -shm removed) and leaves the position mark beside it, as docs/relay.md
// tells an operator to.
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { paymentsSurviveRestore } from './restore-scenario.ts';
import { startRelayProcess } from './relay-process.ts';

test('finding 5: after an older backup is restored, all 30 new payments reach the kiosk, none twice', () =>
  paymentsSurviveRestore('restore', {
    start: (dir) => startRelayProcess({}, { dir }),
    backup: async (dir) => {
      const live = new Database(path.join(dir, 'relay.db'), { readonly: true });
      await live.backup(path.join(dir, 'backup.db'));
      live.close();
    },
    restoreAndStart: (dir, port) => {
      for (const suffix of ['', '-wal', '-shm'])
        fs.rmSync(path.join(dir, `relay.db${suffix}`), { force: true });
      fs.copyFileSync(path.join(dir, 'backup.db'), path.join(dir, 'relay.db'));
      return startRelayProcess({ port }, { dir });
    },
  }));

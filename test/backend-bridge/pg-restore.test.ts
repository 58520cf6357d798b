// Finding 5 on PostgreSQL: restoring an older dump of the relay's database must lose no payment (the
// scenario: restore-scenario.ts). The dump is pg_dump's custom format, taken while the relay runs; the
// restore is pg_restore into a new database, as an operator restores one. That changes the database's
// generation (its oid), which is how the relay knows to start a new epoch.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { postgresBinDir } from '../helpers/postgres.ts';
import { freshDatabase, usePostgres } from './pg-fleet.ts';
import { paymentsSurviveRestore } from './restore-scenario.ts';
import { startRelayProcess } from './relay-process.ts';

usePostgres();

test('finding 5 on PostgreSQL: after an older dump is restored, all 30 new payments reach the kiosk, none twice', async () => {
  const bin = postgresBinDir();
  const live = await freshDatabase();
  await paymentsSurviveRestore('pgrestore', {
    start: (dir) => startRelayProcess(live.config, { dir }),
    backup: (dir) => {
      execFileSync(
        path.join(bin, 'pg_dump'),
        ['--format=custom', '--file', path.join(dir, 'relay.dump'), live.url],
        {
          stdio: 'pipe',
        },
      );
    },
    restoreAndStart: async (dir, port) => {
      const restored = await freshDatabase();
      execFileSync(
        path.join(bin, 'pg_restore'),
        ['--no-owner', '--dbname', restored.url, path.join(dir, 'relay.dump')],
        { stdio: 'pipe' },
      );
      return startRelayProcess({ ...restored.config, port }, { dir });
    },
  });
});

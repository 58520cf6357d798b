// Finding 5 on PostgreSQL: restoring an older dump of the relay's database must lose no payment. A real
// PostgreSQL server, real relay processes and the kiosk's real relay link: a dump taken after 10 payments
// (pg_dump, custom format), 20 more, then the dump restored into a new database (pg_restore, as an operator
// restores one) and the relay started on it. The restore changes the database's generation, so the relay
// starts a new epoch; the kiosk resynchronises from the last point both logs share, and every payment made
// after the restore reaches it exactly once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../helpers/agent-harness.ts';
import { postgresBinDir } from '../helpers/postgres.ts';
import { postNotify, signedNotify, tempDir } from './helpers.ts';
import { kioskOnRelay } from './kiosk-link.ts';
import { freshDatabase, usePostgres } from './pg-fleet.ts';
import { startRelayProcess } from './relay-process.ts';
import type { RelayProcess } from './relay-process.ts';

usePostgres();

test('finding 5 on PostgreSQL: after an older dump is restored, all 30 new payments reach the kiosk, none twice', async () => {
  const dir = tempDir();
  const live = await freshDatabase();
  let relay: RelayProcess | undefined = await startRelayProcess(live.config, { dir });
  const kiosk = kioskOnRelay(relay.url);
  const { applied, store } = kiosk;
  const pay = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      const res = await postNotify(relay!.url, signedNotify({ out_trade_no: `K1_pgrestore-${i}` }));
      assert.equal(res.text, 'success');
    }
  };
  const state = (): string => `applied ${applied.size}, cursor ${store.relayCursor.get()}`;
  const bin = postgresBinDir();
  try {
    await pay(0, 10);
    await waitFor(() => applied.size === 10, '10 payments applied', state);
    const dump = path.join(dir, 'relay.dump');
    execFileSync(path.join(bin, 'pg_dump'), ['--format=custom', '--file', dump, live.url], { stdio: 'pipe' });
    await pay(10, 30);
    await waitFor(() => applied.size === 30, '30 payments applied', state);
    assert.equal(store.relayCursor.get(), 30);

    // The operator restores the dump taken after payment 10 into a new database and starts the relay on it,
    // on the same port.
    const port = relay.port;
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
    await relay.stop();
    relay = undefined;
    const restored = await freshDatabase();
    execFileSync(path.join(bin, 'pg_restore'), ['--no-owner', '--dbname', restored.url, dump], {
      stdio: 'pipe',
    });
    relay = await startRelayProcess({ ...restored.config, port }, { dir });

    // Payments made right after the restore, while the kiosk reconnects.
    await pay(30, 60);
    await waitFor(() => applied.size === 60, 'all 30 payments after the restore applied', state);
    const twice = [...applied].filter(([, n]) => n !== 1);
    assert.deepEqual(twice, [], 'no payment applied twice');
    assert.ok(
      relay.logs.some((l) => l.msg === 'kiosk ahead of relay log: resynchronising'),
      'the relay says what happened',
    );
  } finally {
    await kiosk.stop();
    await relay?.stop();
  }
});

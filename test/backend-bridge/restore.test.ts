// Finding 5: restoring an older backup of the relay's database must lose no payment. A real relay process
// and the kiosk's real relay link (RelayClient over its SQLite cursor): after the restore the relay starts a
// new epoch, the kiosk resynchronises from the last point both logs share, and every payment made after the
// restore reaches it exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { waitFor } from '../helpers/agent-harness.ts';
import { postNotify, signedNotify, tempDir } from './helpers.ts';
import { kioskOnRelay } from './kiosk-link.ts';
import { startRelayProcess } from './relay-process.ts';
import type { RelayProcess } from './relay-process.ts';

test('finding 5: after an older backup is restored, all 30 new payments reach the kiosk, none twice', async () => {
  const dir = tempDir();
  let relay: RelayProcess | undefined = await startRelayProcess({}, { dir });
  const kiosk = kioskOnRelay(relay.url);
  const { applied, store } = kiosk;
  const pay = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      const res = await postNotify(relay!.url, signedNotify({ out_trade_no: `K1_restore-${i}` }));
      assert.equal(res.text, 'success');
    }
  };
  const state = (): string => `applied ${applied.size}, cursor ${store.relayCursor.get()}`;
  try {
    await pay(0, 10);
    await waitFor(() => applied.size === 10, '10 payments applied', state);
    const backup = path.join(dir, 'backup.db');
    const live = new Database(path.join(dir, 'relay.db'), { readonly: true });
    await live.backup(backup);
    live.close();
    await pay(10, 30);
    await waitFor(() => applied.size === 30, '30 payments applied', state);
    assert.equal(store.relayCursor.get(), 30);

    // The operator restores the backup taken after payment 10 and starts the relay on the same port.
    const port = relay.port;
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
    await relay.stop();
    relay = undefined;
    for (const suffix of ['', '-wal', '-shm'])
      fs.rmSync(path.join(dir, `relay.db${suffix}`), { force: true });
    fs.copyFileSync(backup, path.join(dir, 'relay.db'));
    relay = await startRelayProcess({ port }, { dir });

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
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

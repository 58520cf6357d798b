// Finding 5's scenario, shared by the SQLite and PostgreSQL restore tests: a real relay process and the
// kiosk's real relay link (RelayClient over its SQLite cursor); a backup after 10 payments, 20 more, the
// backup restored and the relay started on it (same port), then 30 new payments while the kiosk reconnects.
// After the restore the relay starts a new epoch and the kiosk resynchronises from the last point both logs
// share: all 30 must arrive, none twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { waitFor } from '../helpers/agent-harness.ts';
import { postNotify, signedNotify, tempDir } from './helpers.ts';
import { kioskOnRelay } from './kiosk-link.ts';
import type { RelayProcess } from './relay-process.ts';

export interface RestoreSteps {
  /** Starts the relay on its live database, keeping its files in `dir`. */
  start(dir: string): Promise<RelayProcess>;
  /** Takes the backup while the relay runs. */
  backup(dir: string): Promise<void> | void;
  /** The relay stopped: restores the backup and starts the relay on it, on `port`. */
  restoreAndStart(dir: string, port: number): Promise<RelayProcess>;
}

export async function paymentsSurviveRestore(orderPrefix: string, steps: RestoreSteps): Promise<void> {
  const dir = tempDir();
  let relay: RelayProcess | undefined = await steps.start(dir);
  const kiosk = kioskOnRelay(relay.url);
  const { applied, store } = kiosk;
  const pay = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      const res = await postNotify(relay!.url, signedNotify({ out_trade_no: `K1_${orderPrefix}-${i}` }));
      assert.equal(res.text, 'success');
    }
  };
  const state = (): string => `applied ${applied.size}, cursor ${store.relayCursor.get()}`;
  try {
    await pay(0, 10);
    await waitFor(() => applied.size === 10, '10 payments applied', state);
    await steps.backup(dir);
    await pay(10, 30);
    await waitFor(() => applied.size === 30, '30 payments applied', state);
    assert.equal(store.relayCursor.get(), 30);

    const port = relay.port;
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
    await relay.stop();
    relay = undefined;
    relay = await steps.restoreAndStart(dir, port);

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
}

// The relay forgets what nobody can still need, and nothing a kiosk has not taken yet.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../backend-bridge/event-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('acked events and old notifications are pruned; an unacked event is kept however old', async () => {
  const store = SqliteStore.open(path.join(tempDir(), 'relay.sqlite'));
  const at = (day: number) => new Date(Date.UTC(2026, 0, day)).toISOString();
  const stored = (day: number, n: number) =>
    store.storeNotify({
      dedupKey: `k${n}`,
      notifyId: `n${n}`,
      outTradeNo: `K1_${n}`,
      notifyKind: 'payment',
      kioskId: 'K1',
      rawBody: `body${n}`,
      params: { n: String(n) },
      receivedAt: at(day),
    });
  await stored(1, 1);
  await stored(2, 2);
  await stored(60, 3);
  await store.ack('K1', 1); // the kiosk has taken event 1 only

  const removed = await store.pruneBefore(at(30));
  assert.deepEqual(removed, { events: 1, notifies: 1, telemetry: 0 });
  assert.deepEqual(
    (await store.eventsAfter('K1', 0, 10)).map((e) => e.seq),
    [2, 3],
    'event 2 was never acked: kept',
  );
  await store.close();
});

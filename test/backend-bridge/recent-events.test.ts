// The push's memory of each kiosk's newest committed event (recent-events.ts): whatever it answers is what the
// log on disk answers, and it answers nothing it does not know.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../backend-bridge/event-store.ts';
import { RecentEvents } from '../../backend-bridge/recent-events.ts';
import type { NotifyRecord, RelayEvent } from '../../backend-bridge/store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const event = (seq: number): RelayEvent => ({
  seq,
  kind: 'alipay_notify',
  body: `body${seq}`,
  receivedAt: '2026-01-01T00:00:00.000Z',
});

test('memory knows a kiosk only up to its newest event, and forgets the kiosk written to longest ago', () => {
  const recent = new RecentEvents(2);
  recent.committed('K1', event(1));
  recent.committed('K1', event(2));
  assert.deepEqual(recent.after('K1', 1), [event(2)]);
  assert.deepEqual(recent.after('K1', 2), []);
  assert.equal(recent.after('K1', 0), undefined, 'two events after 0: only the log has both');
  assert.equal(recent.after('K1', 3), undefined, 'a seq beyond the newest is not vouched for');
  assert.equal(recent.after('K2', 0), undefined);
  recent.committed('K2', event(1));
  recent.committed('K1', event(3)); // K1 written again: K2 is now the oldest
  recent.committed('K3', event(1));
  assert.equal(recent.after('K2', 0), undefined, 'forgotten');
  assert.deepEqual(recent.after('K1', 2), [event(3)]);
  assert.deepEqual(recent.after('K3', 0), [event(1)]);
});

const record = (kioskId: string | undefined, i: number, rawBody = `body${i}`): NotifyRecord => ({
  dedupKey: `k${i}`,
  notifyId: `n${i}`,
  outTradeNo: `${kioskId ?? 'X'}_${i}`,
  notifyKind: 'payment',
  kioskId,
  rawBody,
  params: { out_trade_no: `${kioskId ?? 'X'}_${i}` },
  receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
});

test('every read of the events after a seq answers what the log on disk holds, before and after a restart', async () => {
  const file = path.join(tempDir(), 'relay.db');
  const store = SqliteStore.open(file);
  await store.openEpoch(new Date().toISOString());
  const reads = async (s: SqliteStore) => ({
    K1: await Promise.all([0, 1, 2, 3].map((after) => s.eventsAfter('K1', after, 10))),
    K2: await Promise.all([0, 1].map((after) => s.eventsAfter('K2', after, 10))),
    limited: await s.eventsAfter('K1', 2, 0),
  });
  let live;
  try {
    await Promise.all([store.storeNotify(record('K1', 1)), store.storeNotify(record('K2', 2))]);
    await store.storeNotify(record('K1', 3));
    // A failing write beside two good ones: the batch runs again with each in its own savepoint.
    const settled = await Promise.allSettled([
      store.storeNotify(record('K1', 4)),
      store.storeNotify(record('K1', 5, null as unknown as string)), // violates NOT NULL
      store.storeNotify(record('K1', 1, 'a resend with another body')),
      store.storeNotify(record(undefined, 6)),
    ]);
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : 'refused')),
      [
        { outcome: 'stored', kioskId: 'K1', seq: 3 },
        'refused',
        { outcome: 'duplicate', sameBody: false },
        { outcome: 'unroutable' },
      ],
    );
    live = await reads(store);
  } finally {
    await store.close();
  }
  assert.deepEqual(
    live.K1.map((events) => events.map((e) => [e.seq, e.body])),
    [
      [
        [1, 'body1'],
        [2, 'body3'],
        [3, 'body4'],
      ],
      [
        [2, 'body3'],
        [3, 'body4'],
      ],
      [[3, 'body4']],
      [],
    ],
  );
  assert.deepEqual(live.limited, []);
  const reopened = SqliteStore.open(file);
  await reopened.openEpoch(new Date().toISOString());
  try {
    assert.deepEqual(await reads(reopened), live, 'the same answers from the file alone');
  } finally {
    await reopened.close();
  }
});

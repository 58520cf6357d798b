// The console's reads (operator/fleet-queries.ts) through RelayStore.fleet, with the same answers on a SQLite
// file and on a real PostgreSQL server started by the test: the kiosk registry (enrolled, revoked, cursor,
// last seen), the newest telemetry of each type per kiosk, and one type's telemetry since a time.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openRelayStore } from '../../../backend-bridge/store.ts';
import type { RelayStore } from '../../../backend-bridge/store.ts';
import { startPostgres } from '../../helpers/postgres.ts';
import type { PostgresServer } from '../../helpers/postgres.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(() => server.stop());

async function exercise(store: RelayStore): Promise<void> {
  await store.openEpoch(new Date().toISOString());
  await store.enrollment.enroll('K1', 'a'.repeat(64), '2026-11-28T00:00:00.000Z');
  await store.enrollment.enroll('K3', 'b'.repeat(64), '2026-11-28T00:00:00.000Z');
  await store.enrollment.revoke('K3', '2026-11-28T01:00:00.000Z');
  const params = { out_trade_no: 'K2_order', trade_status: 'TRADE_SUCCESS' };
  await store.storeNotify({
    dedupKey: 'n1',
    notifyId: 'n1',
    outTradeNo: 'K2_order',
    notifyKind: 'payment',
    kioskId: 'K2',
    rawBody: new URLSearchParams(params).toString(),
    params,
    receivedAt: '2026-11-28T02:00:00.000Z',
  });
  await store.touch('K1', '2026-11-28T03:00:00.000Z');
  const status = (at: string, outboxDepth: number) => ({
    id: `status-${at}`,
    type: 'kiosk.status',
    at,
    data: { outboxDepth },
  });
  await store.storeTelemetry(
    'K1',
    [
      status('2026-11-28T03:00:00.000Z', 1),
      status('2026-11-28T05:00:00.000Z', 2),
      { id: 's1', type: 'sale.settled', at: '2026-11-28T04:00:00.000Z', data: { outTradeNo: 'K1_a' } },
      { id: 's0', type: 'sale.settled', at: '2026-11-27T04:00:00.000Z', data: { outTradeNo: 'K1_old' } },
    ],
    '2026-11-28T06:00:00.000Z',
  );
  // Recorded offline earlier, uploaded later: older than the status above.
  await store.storeTelemetry('K1', [status('2026-11-28T04:30:00.000Z', 9)], '2026-11-28T07:00:00.000Z');
  await store.storeTelemetry(
    'K2',
    [{ id: 's2', type: 'sale.settled', at: '2026-11-28T04:10:00.000Z', data: { outTradeNo: 'K2_order' } }],
    '2026-11-28T06:00:00.000Z',
  );

  const registry = (await store.fleet.registry()).sort((a, b) => a.kioskId.localeCompare(b.kioskId));
  assert.deepEqual(registry, [
    { kioskId: 'K1', revoked: false, lastSeq: null, ackedSeq: null, lastSeenAt: '2026-11-28T03:00:00.000Z' },
    { kioskId: 'K2', revoked: null, lastSeq: 1, ackedSeq: 0, lastSeenAt: null },
    { kioskId: 'K3', revoked: true, lastSeq: null, ackedSeq: null, lastSeenAt: null },
  ]);

  const latest = (await store.fleet.latestTelemetry())
    .map((t) => [t.kioskId, t.type, t.at, t.data])
    .sort((a, b) => String(a).localeCompare(String(b)));
  assert.deepEqual(latest, [
    ['K1', 'kiosk.status', '2026-11-28T05:00:00.000Z', { outboxDepth: 2 }],
    ['K1', 'sale.settled', '2026-11-28T04:00:00.000Z', { outTradeNo: 'K1_a' }],
    ['K2', 'sale.settled', '2026-11-28T04:10:00.000Z', { outTradeNo: 'K2_order' }],
  ]);
  assert.deepEqual(
    (await store.fleet.latestTelemetry('K2')).map((t) => t.eventId),
    ['s2'],
  );

  const since = await store.fleet.telemetrySince('sale.settled', '2026-11-28T00:00:00.000Z');
  assert.deepEqual(
    since.map((t) => [t.kioskId, t.eventId]),
    [
      ['K1', 's1'],
      ['K2', 's2'],
    ],
  );
  const onlyK1 = await store.fleet.telemetrySince('sale.settled', '2026-11-27T00:00:00.000Z', 'K1');
  assert.deepEqual(
    onlyK1.map((t) => t.eventId),
    ['s0', 's1'],
  );
}

test('the console reads the fleet through the SQLite store', async () => {
  const store = await openRelayStore(path.join(tempDir(), 'relay.sqlite'));
  try {
    await exercise(store);
  } finally {
    await store.close();
  }
});

test('the console reads the fleet through the PostgreSQL store, with the same answers', async () => {
  const store = await openRelayStore(await server.createDatabase('fleet'));
  try {
    await exercise(store);
  } finally {
    await store.close();
  }
});

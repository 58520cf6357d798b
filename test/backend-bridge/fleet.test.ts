// The operator's fleet figures, computed from the telemetry kiosks upload through their real outbox endpoint:
// sales and revenue today in the operator's time zone, refunds owed, faults, disabled lanes, low stock, outbox
// depth; per kiosk, sales per hour and per day and recent orders. And a kiosk whose link goes silent is shown
// offline within two heartbeats.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { KIOSKS, startTestRelay, tempDir, TestStream, uploadTelemetry } from './helpers.ts';

const ADMIN = 'admin-token-0123456789abcdef';
// 2026-11-29 10:00 in Shanghai: Shanghai's "today" began at 2026-11-28T16:00Z.
const NOW = new Date('2026-11-29T02:00:00.000Z');
const K1 = KIOSKS[0]!;

function settled(
  id: string,
  at: string,
  state: string,
  totalFen: number,
  deliveredFen: number,
  vends: string[],
) {
  return {
    id: `sale:${id}:${state}`,
    type: 'sale.settled',
    at,
    data: {
      outTradeNo: id,
      state,
      tradeNo: null,
      totalFen,
      deliveredFen,
      items: vends.map((vendState, i) => ({
        lane: i + 1,
        productId: `p${i}`,
        priceFen: 100,
        vendState,
        detail: null,
      })),
      message: null,
    },
  };
}

const STATUS = {
  id: 'status-1',
  type: 'kiosk.status',
  at: '2026-11-29T01:59:00.000Z',
  data: {
    lanes: [
      { lane: 1, productId: 'cola', stock: 8, capacity: 10, enabled: true },
      { lane: 2, productId: 'water', stock: 2, capacity: 10, enabled: true },
      { lane: 3, productId: 'tea', stock: 5, capacity: 10, enabled: false },
      { lane: 4, productId: 'juice', stock: 0, capacity: 10, enabled: true },
    ],
    board: 'up',
    refundsPending: { count: 1, fen: 150 },
    refundsFailed: { count: 1, fen: 200 },
    outboxDepth: 3,
  },
};

async function admin<T>(url: string, route: string): Promise<T> {
  const res = await fetch(`${url}/admin/v1/${route}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200, route);
  return (await res.json()) as T;
}

interface Kiosk {
  id: string;
  connected: boolean;
  lastSeenAt: string | null;
  today: { date: string; sales: number; revenueFen: number };
  faults: string[];
  status: {
    disabledLanes: number[];
    lowStock: Array<{ lane: number }>;
    refundsOwed: { count: number; fen: number };
    outboxDepth: number;
  } | null;
}

test('the fleet shows sales, revenue, refunds owed, faults, lanes and outbox depth from the kiosk telemetry', async () => {
  const relay = await startTestRelay(path.join(tempDir(), 'relay.db'), { adminToken: ADMIN, now: () => NOW });
  try {
    await uploadTelemetry(relay.url, K1, [
      // Yesterday in Shanghai (though 2026-11-28 in UTC too): not today.
      settled('K1_a', '2026-11-28T15:59:00.000Z', 'completed', 300, 300, ['delivered']),
      // Today in Shanghai, though still 2026-11-28 in UTC.
      settled('K1_b', '2026-11-28T16:01:00.000Z', 'completed', 350, 350, ['delivered']),
      // One of two items delivered: the sale counts what was kept.
      settled('K1_c', '2026-11-29T01:00:00.000Z', 'refunded', 450, 250, ['delivered', 'not_delivered']),
      // Expired unpaid, then refunded when a late payment turned up: no sale.
      settled('K1_d', '2026-11-29T01:10:00.000Z', 'expired', 200, 0, ['pending']),
      settled('K1_d', '2026-11-29T01:20:00.000Z', 'refunded', 200, 0, ['pending']),
      // Telemetry that does not fit is left out, not guessed at.
      { id: 'junk', type: 'sale.settled', at: '2026-11-29T01:30:00.000Z', data: { totalFen: -5 } },
      STATUS,
    ]);
    const { timeZone, kiosks } = await admin<{ timeZone: string; kiosks: Kiosk[] }>(relay.url, 'kiosks');
    assert.equal(timeZone, 'Asia/Shanghai');
    const k1 = kiosks.find((k) => k.id === K1.id)!;
    assert.deepEqual(k1.today, { date: '2026-11-29', sales: 2, revenueFen: 600 });
    assert.deepEqual(k1.status?.disabledLanes, [3]);
    assert.deepEqual(
      k1.status?.lowStock.map((l) => l.lane),
      [2, 4],
    );
    assert.deepEqual(k1.status?.refundsOwed, { count: 2, fen: 350 });
    assert.equal(k1.status?.outboxDepth, 3);
    assert.deepEqual(k1.faults, ['1 vend failed today', '1 refund refused by Alipay']);
    const k2 = kiosks.find((k) => k.id === 'K2')!;
    assert.deepEqual(k2.today, { date: '2026-11-29', sales: 0, revenueFen: 0 });
    assert.equal(k2.status, null, 'a kiosk that never sent its status has no status figures');

    const detail = await admin<
      Kiosk & {
        salesByHour: Array<{ hour: string; sales: number; revenueFen: number }>;
        salesByDay: Array<{ date: string; sales: number; revenueFen: number }>;
        recentOrders: Array<{ outTradeNo: string; state: string; items: Array<{ vendState: string }> }>;
      }
    >(relay.url, `kiosks/${K1.id}`);
    assert.equal(detail.salesByHour.length, 24);
    assert.equal(detail.salesByHour.at(-1)?.hour, '2026-11-29T02:00:00.000Z');
    assert.deepEqual(
      detail.salesByHour.filter((b) => b.sales > 0).map((b) => [b.hour, b.revenueFen]),
      [
        ['2026-11-28T15:00:00.000Z', 300],
        ['2026-11-28T16:00:00.000Z', 350],
        ['2026-11-29T01:00:00.000Z', 250],
      ],
    );
    assert.equal(detail.salesByDay.length, 14);
    assert.deepEqual(detail.salesByDay.slice(-2), [
      { date: '2026-11-28', sales: 1, revenueFen: 300 },
      { date: '2026-11-29', sales: 2, revenueFen: 600 },
    ]);
    assert.deepEqual(
      detail.recentOrders.map((o) => [o.outTradeNo, o.state]),
      [
        ['K1_d', 'refunded'],
        ['K1_c', 'refunded'],
        ['K1_b', 'completed'],
        ['K1_a', 'completed'],
      ],
    );
    assert.deepEqual(
      detail.recentOrders[1]?.items.map((i) => i.vendState),
      ['delivered', 'not_delivered'],
    );
    const missing = await fetch(`${relay.url}/admin/v1/kiosks/NOPE`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(missing.status, 404);
  } finally {
    await relay.close();
  }
});

test('a kiosk whose link closes is offline at once; one that goes silent is cut within two heartbeats', async () => {
  const relay = await startTestRelay(path.join(tempDir(), 'relay.db'), {
    adminToken: ADMIN,
    pingIntervalMs: 200,
  });
  const connected = async (id: string) =>
    (await admin<{ kiosks: Kiosk[] }>(relay.url, 'kiosks')).kiosks.find((k) => k.id === id)!;
  try {
    const stream = await TestStream.open(relay.url, K1.id, K1.token);
    stream.send({ type: 'hello', lastSeq: 0 });
    while (stream.welcomes.length === 0) await new Promise((r) => stream.ws.once('message', r));
    assert.equal((await connected(K1.id)).connected, true);
    stream.ws.close();
    await stream.closed;
    await new Promise((r) => setImmediate(r));
    const after = await connected(K1.id);
    assert.equal(after.connected, false);
    assert.ok(after.lastSeenAt !== null);

    // A link that stops answering pings (a cut cable: no FIN arrives) is terminated by the heartbeat.
    const silent = new WebSocket(`${relay.url.replace('http', 'ws')}/v1/kiosks/K2/stream`, {
      headers: { authorization: `Bearer ${KIOSKS[1]!.token}` },
      autoPong: false,
    });
    await new Promise((r) => silent.once('open', r));
    assert.equal((await connected('K2')).connected, true);
    // Terminated by the relay (no close frame: 1006), not closed by anyone: the heartbeat found it.
    const code = await new Promise<number>((r) => silent.once('close', r));
    assert.equal(code, 1006);
    assert.equal((await connected('K2')).connected, false);
  } finally {
    await relay.close();
  }
});

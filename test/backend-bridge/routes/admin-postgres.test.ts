// The operator read API (what the console shows) on a relay that stores into a real PostgreSQL server started
// by the test: a kiosk's uploaded sale and status reach the fleet figures, the kiosk's detail (charts, recent
// orders) and an empty reconciliation list, as they do on SQLite (fleet.test.ts, console/); on two instances,
// each says a kiosk is connected while either holds its stream.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startPostgres } from '../../helpers/postgres.ts';
import {
  KIOSKS,
  oneLaneStatus,
  postNotify,
  signedNotify,
  startTestRelay,
  tempDir,
  uploadTelemetry,
} from '../helpers.ts';
import { kioskOnRelay, type TestKiosk } from '../kiosk-link.ts';
import { startRelayProcess } from '../relay-process.ts';

const ADMIN = 'admin-token-for-the-postgres-test';
const NOW = new Date('2026-11-28T06:00:00.000Z'); // 14:00 in Asia/Shanghai, the default zone
const [k1] = KIOSKS as [(typeof KIOSKS)[number]];

test('fleet figures, kiosk detail and reconciliation days read from PostgreSQL', async () => {
  const server = await startPostgres();
  try {
    const relay = await startTestRelay('', {
      dbPath: undefined,
      databaseUrl: await server.createDatabase('admin'),
      adminToken: ADMIN,
      now: () => NOW,
    });
    try {
      assert.equal((await postNotify(relay.url, signedNotify({ out_trade_no: 'K1_pg-1' }))).text, 'success');
      await uploadTelemetry(relay.url, k1, [
        {
          id: 'sale-1',
          type: 'sale.settled',
          at: '2026-11-28T05:00:00.000Z',
          data: {
            outTradeNo: 'K1_pg-1',
            state: 'completed',
            totalFen: 350,
            deliveredFen: 350,
            items: [{ lane: 3, productId: 'cola', priceFen: 350, vendState: 'delivered' }],
          },
        },
        oneLaneStatus('2026-11-28T05:01:00.000Z'),
      ]);

      const get = async (p: string): Promise<unknown> => {
        const res = await fetch(`${relay.url}${p}`, { headers: { authorization: `Bearer ${ADMIN}` } });
        assert.equal(res.status, 200, p);
        return res.json();
      };
      const fleet = (await get('/admin/v1/kiosks')) as {
        kiosks: Array<{ id: string; lastSeq: number; today: unknown; board: string; status: unknown }>;
      };
      const listed = fleet.kiosks.find((k) => k.id === 'K1');
      assert.equal(listed?.lastSeq, 1);
      assert.deepEqual(listed?.today, { date: '2026-11-28', sales: 1, revenueFen: 350 });
      assert.equal(listed?.board, 'up');
      assert.deepEqual((listed?.status as { lowStock: unknown }).lowStock, [
        { lane: 3, productId: 'cola', stock: 1, capacity: 10 },
      ]);

      const detail = (await get('/admin/v1/kiosks/K1')) as {
        recentOrders: Array<{ outTradeNo: string; deliveredFen: number }>;
        salesByDay: Array<{ date: string; sales: number; revenueFen: number }>;
        salesByHour: Array<{ hour: string; sales: number }>;
      };
      assert.deepEqual(
        detail.recentOrders.map((o) => [o.outTradeNo, o.deliveredFen]),
        [['K1_pg-1', 350]],
      );
      assert.deepEqual(detail.salesByDay.at(-1), { date: '2026-11-28', sales: 1, revenueFen: 350 });
      assert.equal(detail.salesByHour.find((h) => h.hour === '2026-11-28T05:00:00.000Z')?.sales, 1);
      assert.deepEqual(await get('/admin/v1/reconciliation'), { days: [] });
    } finally {
      await relay.close();
    }
  } finally {
    await server.stop();
  }
});

test('on a fleet, every instance says a kiosk is connected while any live instance holds its stream', async () => {
  const server = await startPostgres();
  const dir = tempDir();
  try {
    const tokenFile = path.join(dir, 'admin.token');
    fs.writeFileSync(tokenFile, ADMIN, { mode: 0o600 });
    const config = {
      db: undefined,
      database: { url: await server.createDatabase('fleet') },
      admin: { tokenFile },
    };
    const a = await startRelayProcess(config);
    const b = await startRelayProcess(config);
    let kiosk: TestKiosk | undefined;
    try {
      const k1OnA = async () => {
        const res = await fetch(`${a.url}/admin/v1/kiosks`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        assert.equal(res.status, 200);
        const { kiosks } = (await res.json()) as { kiosks: Array<{ id: string; connected: boolean }> };
        return kiosks.find((k) => k.id === 'K1')?.connected;
      };
      /** Asks A until K1's `connected` reads `want`: B's stream opens and closes on B's own time. */
      const untilOnA = async (want: boolean) => {
        const giveUp = Date.now() + 20_000; // a readable failure long before the runner's file limit
        while ((await k1OnA()) !== want) {
          assert.ok(Date.now() < giveUp, `instance A never said K1 connected: ${want}`);
          await new Promise((r) => setImmediate(r));
        }
      };
      assert.equal(await k1OnA(), false);

      // K1's stream on B: A, which holds no stream of K1, says connected.
      const logged = b.logs.length;
      kiosk = kioskOnRelay(b.url);
      await b.waitForLog((l) => l.msg === 'stream connected', logged);
      await untilOnA(true);

      // The kiosk goes away cleanly: A says so.
      await kiosk.stop();
      kiosk = undefined;
      await untilOnA(false);

      // Back on B, then B is killed with its stream open: A says disconnected as soon as B's database
      // connections are gone, with no goodbye from B.
      const again = b.logs.length;
      kiosk = kioskOnRelay(b.url);
      await b.waitForLog((l) => l.msg === 'stream connected', again);
      await untilOnA(true);
      b.child.kill('SIGKILL');
      await b.exited;
      await untilOnA(false);
    } finally {
      await kiosk?.stop();
      await b.stop();
      await a.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
});

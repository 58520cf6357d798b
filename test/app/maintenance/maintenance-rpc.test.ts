// Maintenance through the UI contract against a real board simulator and a real SQLite file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { hashPin } from '../../../app/maintenance/index.ts';
import { startHarness, waitFor } from '../../helpers/agent-harness.ts';

async function harnessWithPin() {
  const h = await startHarness({
    faults: [{ kind: 'jam', lane: 2, times: 1 }],
    configure: (dir) => {
      const file = path.join(dir, 'pin-hash');
      fs.writeFileSync(file, hashPin('2468'));
      return { maintenance: { pinHashFile: file } };
    },
  });
  const call = async (channel: string, payload: unknown) => h.agent.dispatch(channel, payload);
  return { h, call };
}

test('a technician unlocks with the PIN, test-vends lanes, counts stock and switches a lane off', async () => {
  const { h, call } = await harnessWithPin();
  const wrong = await call('maintenance.unlock', { pin: '0000' });
  assert.deepEqual(wrong, { ok: true, result: { unlocked: false, reason: 'wrong_pin', retryAt: null } });
  const unlocked = await call('maintenance.unlock', { pin: '2468' });
  assert.ok(unlocked.ok && (unlocked.result as { unlocked: boolean }).unlocked);
  const token = (unlocked.result as { token: string }).token;

  const overview = await call('maintenance.overview', { token });
  assert.ok(overview.ok);
  const o = overview.result as { dispenserLink: string; lanes: Array<{ lane: number; stock: number }> };
  assert.equal(o.dispenserLink, 'up');
  assert.deepEqual(
    o.lanes.map((l) => [l.lane, l.stock]),
    [
      [1, 5],
      [2, 5],
    ],
  );

  assert.deepEqual(await call('maintenance.testVend', { token, lane: 1 }), {
    ok: true,
    result: { outcome: 'delivered', detail: 'drop confirmed' },
  });
  const jam = await call('maintenance.testVend', { token, lane: 2 });
  assert.ok(jam.ok);
  assert.equal((jam.result as { outcome: string }).outcome, 'not_delivered');
  assert.deepEqual(
    h.board.motorRuns().map((r) => [r.lane, r.result]),
    [
      [1, 'dispensed'],
      [2, 'jammed'],
    ],
  );
  assert.equal(h.agent.store.lanes.get(1)?.stock, 4, 'a delivered test vend used one item');

  const counted = await call('maintenance.setStock', { token, lane: 1, stock: 10 });
  assert.equal(counted.ok && (counted.result as { stock: number }).stock, 10);
  const tooMany = await call('maintenance.setStock', { token, lane: 1, stock: 11 });
  assert.equal(!tooMany.ok && tooMany.error.code, 'bad_request');
  await call('maintenance.setLaneEnabled', { token, lane: 2, enabled: false });
  const catalog = await call('catalog.list', {});
  const lane2 = (
    catalog.ok ? (catalog.result as { products: Array<{ lane: number; available: boolean }> }).products : []
  ).find((p) => p.lane === 2);
  assert.equal(lane2?.available, false, 'customers can no longer buy from a disabled lane');

  const log = h.agent.store.maintenanceLog.recent().map((e) => e.action);
  assert.deepEqual(log.slice(0, 3), ['disable_lane', 'set_stock', 'test_vend_not_delivered']);

  assert.ok((await call('maintenance.lock', { token })).ok);
  const after = await call('maintenance.overview', { token });
  assert.equal(!after.ok && after.error.code, 'unauthorized');
});

test('maintenance calls without a valid session are refused before touching anything', async () => {
  const { h, call } = await harnessWithPin();
  const forged = await call('maintenance.testVend', { token: 'a'.repeat(64), lane: 1 });
  assert.equal(!forged.ok && forged.error.code, 'unauthorized');
  const malformed = await call('maintenance.setStock', { lane: 1, stock: 0 });
  assert.equal(!malformed.ok && malformed.error.code, 'bad_request');
  assert.deepEqual(h.board.motorRuns(), []);
  assert.equal(h.agent.store.lanes.get(1)?.stock, 5);
});

test('a test vend is refused while a customer is paying', async () => {
  const { h, call } = await harnessWithPin();
  const unlocked = await call('maintenance.unlock', { pin: '2468' });
  const token = unlocked.ok ? (unlocked.result as { token: string }).token : '';
  await h.agent.sales.checkout([{ lane: 1, quantity: 1 }]);
  const refused = await call('maintenance.testVend', { token, lane: 1 });
  assert.equal(!refused.ok && refused.error.code, 'conflict');
  assert.deepEqual(h.board.motorRuns(), []);
});

test('without a configured PIN the maintenance screen stays closed', async () => {
  const h = await startHarness();
  const result = await h.agent.dispatch('maintenance.unlock', { pin: '2468' });
  assert.equal(!result.ok && result.error.code, 'unavailable');
});

test('restocking an empty lane tells the board too, so a customer can then buy from it', async () => {
  const h = await startHarness({
    planogram: [
      { lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 5, capacity: 10 },
      { lane: 3, productId: 'T', name: 'Tea', priceFen: 400, stock: 0, capacity: 6 },
    ],
    configure: (dir) => {
      const file = path.join(dir, 'pin-hash');
      fs.writeFileSync(file, hashPin('2468'));
      return { maintenance: { pinHashFile: file } };
    },
  });
  const unlocked = await h.agent.dispatch('maintenance.unlock', { pin: '2468' });
  const token = unlocked.ok ? (unlocked.result as { token: string }).token : '';
  const restocked = await h.agent.dispatch('maintenance.setStock', { token, lane: 3, stock: 4 });
  assert.ok(restocked.ok, JSON.stringify(restocked));

  const sale = await h.agent.sales.checkout([{ lane: 3, quantity: 1 }]);
  await h.pay(sale.outTradeNo);
  await waitFor(
    () => h.agent.store.orders.mustGet(sale.outTradeNo).state === 'completed',
    'the tea to come out',
  );
  assert.deepEqual(
    h.board.motorRuns().map((r) => [r.lane, r.result]),
    [[3, 'dispensed']],
  );
});

test('the board\'s "fully loaded" button fills every lane in the agent too', async () => {
  const h = await startHarness({
    planogram: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 1, capacity: 9 }],
  });
  (h.board as unknown as { pressFullyLoaded(): void }).pressFullyLoaded();
  await waitFor(() => h.agent.store.lanes.get(1)?.stock === 9, 'lane 1 to be full');
  assert.equal(h.agent.store.maintenanceLog.recent()[0]?.action, 'fully_loaded');
});

test("the technician's overview: today's and the week's sales net of refunds, link states, log lines; a price change is logged", async () => {
  const { h, call } = await harnessWithPin();
  const unlocked = await call('maintenance.unlock', { pin: '2468' });
  assert.ok(unlocked.ok);
  const token = (unlocked.result as { token: string }).token;
  const overview = async () => {
    const answer = await call('maintenance.overview', { token });
    assert.ok(answer.ok, JSON.stringify(answer));
    return answer.result as {
      links: { board: string; relay: string; alipay: { state: string; detail: string } };
      sales: { todayFen: number; todayOrders: number; weekFen: number; days: Array<{ fen: number }> };
      recentLog: Array<{ line: string }>;
      log: Array<{ action: string; lane: number | null; detail: string | null }>;
    };
  };
  const before = await overview();
  assert.equal(before.links.board, 'up');
  assert.equal(before.links.alipay.state, 'unknown', 'no order yet');
  assert.deepEqual([before.sales.todayFen, before.sales.todayOrders, before.sales.days.length], [0, 0, 7]);

  // One sale delivered (lane 1), one with the jammed lane 2 refunded: only the first counts.
  for (const lane of [1, 2]) {
    const sale = await h.agent.sales.checkout([{ lane, quantity: 1 }]);
    await h.pay(sale.outTradeNo);
    await waitFor(
      () =>
        ['completed', 'refund_pending', 'refunded'].includes(
          h.agent.store.orders.get(sale.outTradeNo)!.state,
        ),
      `sale on lane ${lane} to end`,
    );
  }
  const after = await overview();
  const lane1Price = h.agent.store.lanes.get(1)!.priceFen;
  assert.equal(after.sales.todayFen, lane1Price);
  assert.equal(after.sales.todayOrders, 1);
  assert.equal(after.sales.weekFen, lane1Price);
  assert.equal(after.sales.days.at(-1)?.fen, lane1Price, "today's bar");
  assert.equal(after.links.alipay.state, 'up');
  assert.match(after.links.alipay.detail, /last QR code issued/);
  assert.ok(after.recentLog.length > 0, 'the agent log lines are there');

  const priced = await call('maintenance.setPrice', { token, lane: 1, priceFen: 450 });
  assert.equal(priced.ok && (priced.result as { priceFen: number }).priceFen, 450);
  assert.equal(h.agent.store.lanes.get(1)?.priceFen, 450);
  const logged = (await overview()).log.find((e) => e.action === 'set_price');
  assert.deepEqual(logged && [logged.lane, logged.detail], [1, `${lane1Price} → 450 fen`]);
  const refused = await call('maintenance.setPrice', { token, lane: 1, priceFen: 0 });
  assert.equal(refused.ok, false, 'a zero price is refused by the contract');
});

// The agent's start (app/agent/start-agent.ts) as an operator sees it across restarts: it prunes finished orders
// by the configured retention as it starts, and its close waits for the prune.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, type Store } from '../../../app/store/index.ts';
import { startHarness } from '../../helpers/agent-harness.ts';

function finishedSale(store: Store, outTradeNo: string): void {
  store.orders.create({
    outTradeNo,
    totalFen: 200,
    subject: 'Water',
    items: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 200 }],
  });
  store.orders.transition(outTradeNo, ['created'], 'failed', { message: 'precreate refused' });
  store.outbox.markSent(store.outbox.unsent(1000).map((e) => e.id));
}

test('an agent starting prunes the orders that finished before its sale.keepFinishedOrdersDays, and keeps the rest', async () => {
  const h = await startHarness({ relay: false, configure: () => ({ sale: { keepFinishedOrdersDays: 30 } }) });
  const today = h.clock.now;
  h.clock.now = today - 31 * DAY_MS;
  finishedSale(h.agent.store, 'KT_31days');
  h.clock.now = today - 29 * DAY_MS;
  finishedSale(h.agent.store, 'KT_29days');
  h.clock.now = today;
  finishedSale(h.agent.store, 'KT_today');

  const agent = await h.restartAgent();
  assert.equal(agent.store.orders.get('KT_31days'), null, 'older than 30 days: gone at start');
  assert.equal(agent.store.orders.get('KT_29days')?.state, 'failed', 'within 30 days: kept');
  await h.stopAgent();
});

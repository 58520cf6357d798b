import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDispatcher, RpcFailure, type RpcHandlers } from '../../../app/rpc/index.ts';

const sale = {
  outTradeNo: 'K1_20261122000000_abcdef0123',
  state: 'awaiting_payment' as const,
  totalFen: 350,
  qrCode: 'https://qr.example/abc',
  expiresAt: 1,
  items: [{ lane: 2, name: 'Cola', priceFen: 350, state: 'pending' as const }],
  refundFen: 0,
  message: null,
};

const refused = async (): Promise<never> => {
  throw new RpcFailure('unavailable', 'not in this test');
};

function handlers(overrides: Partial<RpcHandlers> = {}): RpcHandlers {
  return {
    'kiosk.info': async () => ({
      kioskId: 'K1',
      demo: true,
      dispenserLink: 'up',
      support: { phone: null, text: null },
      version: '',
    }),
    'catalog.list': async () => ({ products: [] }),
    'sale.checkout': async () => sale,
    'sale.current': async () => null,
    'sale.cancel': async () => sale,
    'maintenance.unlock': refused,
    'maintenance.lock': refused,
    'maintenance.overview': refused,
    'maintenance.laneStatus': refused,
    'maintenance.testVend': refused,
    'maintenance.setStock': refused,
    'maintenance.setLaneEnabled': refused,
    'maintenance.setPrice': refused,
    ...overrides,
  };
}

test('a valid request reaches its handler and the answer comes back', async () => {
  const calls: unknown[] = [];
  const dispatch = createDispatcher(handlers({ 'sale.checkout': async (req) => (calls.push(req), sale) }));
  const result = await dispatch('sale.checkout', { items: [{ lane: 2, quantity: 1 }] });
  assert.deepEqual(result, { ok: true, result: sale });
  assert.deepEqual(calls, [{ items: [{ lane: 2, quantity: 1 }] }]);
});

test('an unknown channel, including prototype names, is refused', async () => {
  const dispatch = createDispatcher(handlers());
  for (const channel of ['sale.refundEverything', '__proto__', 'constructor', 'toString']) {
    const result = await dispatch(channel, {});
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'unknown_channel');
  }
});

test('payloads outside the schema never reach the handler: floats, negative lanes, extra keys, huge carts', async () => {
  let called = false;
  const dispatch = createDispatcher(handlers({ 'sale.checkout': async () => ((called = true), sale) }));
  const bad = [
    { items: [{ lane: 2, quantity: 1.5 }] },
    { items: [{ lane: -1, quantity: 1 }] },
    { items: [] },
    { items: [{ lane: 2, quantity: 1, priceFen: 1 }] },
    { items: Array.from({ length: 11 }, () => ({ lane: 1, quantity: 1 })) },
    'not an object',
  ];
  for (const payload of bad) {
    const result = await dispatch('sale.checkout', payload);
    assert.equal(!result.ok && result.error.code, 'bad_request', JSON.stringify(payload));
  }
  assert.equal(called, false);
});

test('handler failures become typed errors; internal details are not leaked', async () => {
  const logged: string[] = [];
  const dispatch = createDispatcher(
    handlers({
      'sale.cancel': async () => {
        throw new RpcFailure('conflict', 'order is being vended');
      },
      'sale.current': async () => {
        throw new Error('SQLITE_FULL: database or disk is full at /var/secret/path');
      },
      'kiosk.info': async () => ({ kioskId: 'K1' }) as never,
    }),
    (line) => logged.push(line),
  );
  assert.deepEqual(await dispatch('sale.cancel', { outTradeNo: 'K1_x' }), {
    ok: false,
    error: { code: 'conflict', message: 'order is being vended' },
  });
  assert.deepEqual(await dispatch('sale.current', {}), {
    ok: false,
    error: { code: 'internal', message: 'internal error' },
  });
  assert.deepEqual(await dispatch('kiosk.info', {}), {
    ok: false,
    error: { code: 'internal', message: 'the agent produced an invalid answer' },
  });
  assert.ok(
    logged.some((l) => l.includes('SQLITE_FULL')),
    'the technician log keeps the cause',
  );
});

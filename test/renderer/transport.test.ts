// How the kiosk UI reaches the agent: the token-guarded websocket of the browser host (refusal without a
// token, reconnect after a drop) and the Electron preload bridge.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { TOKEN, useKioskUi, type KioskUiRig } from './harness.ts';

let rig: KioskUiRig;
let page: Page;

// These tests open the page themselves: some without a token, some with a wrong one.
useKioskUi((ui) => ({ rig, page } = ui), { open: false });

const waitScreen = (name: string) => page.locator(`main#app[data-screen="${name}"]`).waitFor();

describe('browser host websocket', () => {
  test('without a token the page shows no data and never tries to connect', async () => {
    await page.goto(rig.url);
    await waitScreen('locked');
    assert.match((await page.getByTestId('locked').textContent()) ?? '', /must be opened by the kiosk agent/);
    assert.equal(await page.getByTestId('product-1').count(), 0);
    assert.equal(rig.agent.acceptedConnections + rig.agent.rejectedUpgrades, 0);
  });

  test('a malformed token is treated as no token', async () => {
    await page.goto(`${rig.url}#token=not-hex`);
    await waitScreen('locked');
    assert.equal(rig.agent.acceptedConnections + rig.agent.rejectedUpgrades, 0);
  });

  test('with a wrong token the agent refuses the socket and no product is shown', async () => {
    await page.goto(`${rig.url}#token=${'0'.repeat(32)}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-notice"]') !== null);
    await page.clock.fastForward(2_000); // let the renderer retry a few times
    for (let i = 0; i < 20 && rig.agent.rejectedUpgrades < 2; i++) await page.clock.fastForward(1_000);
    assert.ok(rig.agent.rejectedUpgrades >= 2, 'the renderer keeps retrying');
    assert.equal(rig.agent.acceptedConnections, 0);
    assert.equal(await page.getByTestId('product-1').count(), 0);
    assert.equal(await page.getByTestId('connection-notice').isVisible(), true);
  });

  test('the token is taken out of the visible URL', async () => {
    await page.goto(`${rig.url}#token=${TOKEN}`);
    await waitScreen('idle');
    assert.equal(page.url(), rig.url);
  });

  test('after the socket drops the UI says so, reconnects, and reloads the catalog and the current sale', async () => {
    await page.goto(`${rig.url}#token=${TOKEN}`);
    await waitScreen('idle');
    assert.equal(rig.agent.callsTo('sale.current').length, 1);

    // While the renderer is away, a sale starts (e.g. its checkout answer was lost) and a price changes.
    rig.agent.products = rig.agent.products.map((p) => (p.lane === 1 ? { ...p, priceFen: 400 } : p));
    // Hold the page's clock so the reconnect backoff cannot fire before the offline state is checked. The
    // pause point lies a second ahead: the page's clock keeps running while this call travels to it.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    rig.agent.dropConnections();
    await page.getByTestId('connection-notice').waitFor({ state: 'visible' });
    assert.equal(
      await page.getByTestId('product-1').isDisabled(),
      true,
      'nothing can be bought while offline',
    );
    rig.agent.current = {
      outTradeNo: 'K1_RECONNECT',
      state: 'awaiting_payment',
      totalFen: 400,
      qrCode: 'https://qr.alipay.com/reconnect',
      expiresAt: Date.now() + 60_000,
      items: [{ lane: 1, name: '可乐 Cola', priceFen: 400, state: 'pending' }],
      refundFen: 0,
      message: null,
    };
    await page.clock.fastForward(6_000); // past the longest backoff
    await waitScreen('payment');
    assert.equal(await page.getByTestId('amount').textContent(), '¥4.00');
    assert.equal(await page.getByTestId('connection-notice').isVisible(), false);
    assert.equal(rig.agent.callsTo('sale.current').length, 2);
    assert.equal(rig.agent.callsTo('catalog.list').length, 2);
    assert.equal(rig.agent.acceptedConnections, 2);
  });
});

describe('Electron preload bridge', () => {
  test('window.kioskRpc carries the same calls and pushes, with no websocket', async () => {
    await page.exposeFunction('__fakeIpcInvoke', (channel: string, payload: unknown) =>
      rig.agent.answer(channel, payload),
    );
    // The preload's contextBridge object, as the renderer sees it. Plain JS text: tsx would add helpers
    // (`__name`) to a TypeScript function that do not exist in the page.
    await page.addInitScript({
      content: `
        const listeners = new Set();
        window.__fakeIpcEmit = (event, payload) => listeners.forEach((l) => l(event, payload));
        window.kioskRpc = {
          invoke: async (channel, payload) => {
            const reply = await window.__fakeIpcInvoke(channel, payload);
            if (!reply.ok) throw reply.error;
            return reply.result;
          },
          onEvent: (listener) => {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
        };`,
    });
    await page.goto(rig.url); // no token needed: IPC is not reachable from other pages
    await waitScreen('idle');
    assert.equal(await page.getByTestId('price-1').textContent(), '¥3.50');
    await page.getByTestId('product-2').click();
    await page.getByTestId('checkout').click();
    await waitScreen('payment');
    assert.deepEqual(rig.agent.callsTo('sale.checkout'), [{ items: [{ lane: 2, quantity: 1 }] }]);
    const paid = { ...rig.agent.current!, state: 'paid' as const };
    await page.evaluate(`window.__fakeIpcEmit('sale.updated', ${JSON.stringify(paid)})`);
    await waitScreen('dispensing');
    assert.equal(rig.agent.acceptedConnections + rig.agent.rejectedUpgrades, 0);
  });
});

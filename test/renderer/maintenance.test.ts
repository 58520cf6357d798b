// What a technician sees: the PIN pad wired to `maintenance.unlock`, and the maintenance screen driven
// through real Chromium against the fake agent's maintenance side.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { MAINTENANCE_PIN, tapMaintenanceCorner, useKioskUi, type KioskUiRig } from './harness.ts';

let rig: KioskUiRig;
let page: Page;

useKioskUi((ui) => ({ rig, page } = ui), { noConsoleErrors: true });

const screen = () => page.locator('main#app').getAttribute('data-screen');
const waitScreen = (name: string) => page.locator(`main#app[data-screen="${name}"]`).waitFor();
const text = async (testId: string) => ((await page.getByTestId(testId).textContent()) ?? '').trim();
const waitText = (testId: string, pattern: string | RegExp) =>
  page.getByTestId(testId).filter({ hasText: pattern }).waitFor();

async function openPinPad(): Promise<void> {
  await tapMaintenanceCorner(page);
  await waitScreen('pin');
}

async function enterPin(pin: string): Promise<void> {
  for (const d of pin) await page.getByTestId(`pin-key-${d}`).click();
  await page.getByTestId('pin-ok').click();
}

async function unlock(): Promise<void> {
  await openPinPad();
  await enterPin(MAINTENANCE_PIN);
  await waitScreen('maintenance');
  await page.getByTestId('maint-lane-1').waitFor();
}

/** Waits (polling the fake agent, in node) until `condition` holds; frames cross a real socket. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

/** The session token the fake agent issued, and every maintenance call that carried it. */
function callsWithToken(token: string): unknown[] {
  return rig.agent.calls.filter(
    (c) => (c.payload as { token?: unknown } | null)?.token === token && c.channel.startsWith('maintenance.'),
  );
}

describe('PIN pad', () => {
  test('a wrong PIN is refused with "wrong PIN", the dots are cleared and no session opens', async () => {
    await openPinPad();
    await enterPin('1111');
    await waitText('pin-message', /wrong PIN/i);
    assert.equal(await text('pin-dots'), '○○○○');
    assert.equal(await screen(), 'pin');
    assert.equal(rig.agent.maintenance.token, null);
    assert.deepEqual(rig.agent.callsTo('maintenance.unlock'), [{ pin: '1111' }]);
  });

  test('after too many wrong PINs the pad says so, even for the right PIN', async () => {
    rig.agent.maintenance.maxWrongPins = 2;
    await openPinPad();
    await enterPin('1111');
    await waitText('pin-message', /wrong PIN/i);
    await enterPin('2222');
    await waitText('pin-message', /wrong PIN/i);
    await enterPin(MAINTENANCE_PIN);
    await waitText('pin-message', /Too many attempts/);
    assert.equal(await screen(), 'pin');
  });

  test('a kiosk without a maintenance PIN says maintenance is not available', async () => {
    rig.agent.maintenance.pin = null;
    await openPinPad();
    await enterPin('1234');
    await waitText('pin-message', /not available/);
    assert.equal(await screen(), 'pin');
  });

  test('no PIN digit ever reaches the page, only dots', async () => {
    await openPinPad();
    for (const d of MAINTENANCE_PIN) await page.getByTestId(`pin-key-${d}`).click();
    assert.equal(await text('pin-dots'), '●●●●');
    const html = await page.evaluate(() => document.documentElement.outerHTML);
    assert.equal(html.includes(MAINTENANCE_PIN), false, 'the typed PIN is not in the DOM');
    await page.getByTestId('pin-ok').click();
    await waitScreen('maintenance');
    await page.getByTestId('maint-lane-1').waitFor();
    const after = await page.evaluate(() => document.documentElement.outerHTML);
    assert.equal(after.includes(MAINTENANCE_PIN), false);
  });

  test("the corner does not open the PIN pad over a customer's payment", async () => {
    await page.getByTestId('product-1').click();
    await page.getByTestId('checkout').click();
    await waitScreen('payment');
    for (let i = 0; i < 6; i++) await page.mouse.click(10, 10);
    assert.equal(await screen(), 'payment');
    assert.equal(await page.getByTestId('pin-pad').count(), 0);
  });
});

describe('maintenance screen', () => {
  test('the right PIN opens the lanes, the board and machine state, refunds and the log', async () => {
    rig.agent.maintenance.openRefunds = [
      {
        outTradeNo: 'K1_20250101_0042',
        outRequestNo: 'K1_20250101_0042_R1',
        amountFen: 1205,
        state: 'failed',
        lastError: 'ACQ.SYSTEM_ERROR',
      },
    ];
    rig.agent.maintenance.log = [{ at: Date.now(), action: 'set_stock', lane: 2, detail: '1 → 3' }];
    await unlock();
    assert.match(await text('maint-lane-1'), /可乐 Cola/);
    assert.equal(await text('maint-stock-1'), '5/10');
    assert.equal(await text('maint-stock-2'), '3/8');
    assert.equal(await text('maint-stock-3'), '0/6');
    assert.match(await text('maint-toggle-1'), /Enabled/);
    assert.match(await text('maint-toggle-3'), /Disabled/);
    assert.match(await text('maint-link'), /online/);
    assert.match(await text('maintenance'), /Door: 关 closed/);
    assert.match(await text('maintenance'), /Temp: 4 °C/);
    assert.match(await text('maint-refunds'), /¥12\.05 K1_20250101_0042 \(failed\) — ACQ\.SYSTEM_ERROR/);
    assert.match(await text('maint-log'), /set_stock #2 1 → 3/);
  });

  test("an interrupted vend refunded without the board's result is listed for the technician to check", async () => {
    rig.agent.maintenance.toCheck = [
      {
        at: Date.now(),
        action: 'check_interrupted_vend',
        lane: 3,
        detail:
          "order K1_20250101_0043 item 1, vend started 2025-01-01T10:00:00.000Z: refunded without the board's result; check whether the item came out",
      },
    ];
    await unlock();
    assert.match(
      await text('maint-to-check'),
      /#3 .*order K1_20250101_0043 item 1.*check whether the item came out/,
    );
  });

  test('with nothing interrupted the list says none', async () => {
    rig.agent.maintenance.toCheck = [];
    await unlock();
    assert.match(await text('maint-to-check'), /None/);
  });

  test('an offline board shows as offline', async () => {
    rig.agent.info = { ...rig.agent.info, dispenserLink: 'down' };
    await page.reload();
    await waitScreen('out-of-service'); // the corner works there too
    await unlock();
    assert.match(await text('maint-link'), /offline/);
  });

  test('+, − and Full set the stock through the agent and show the new count', async () => {
    await unlock();
    await page.getByTestId('maint-plus-1').click();
    await waitText('maint-stock-1', '6/10');
    await page.getByTestId('maint-minus-1').click();
    await waitText('maint-stock-1', '5/10');
    await page.getByTestId('maint-full-2').click();
    await waitText('maint-stock-2', '8/8');
    const stocks = rig.agent.callsTo('maintenance.setStock').map((p) => {
      const { lane, stock } = p as { lane: number; stock: number };
      return { lane, stock };
    });
    assert.deepEqual(stocks, [
      { lane: 1, stock: 6 },
      { lane: 1, stock: 5 },
      { lane: 2, stock: 8 },
    ]);
    assert.equal(await page.getByTestId('maint-plus-2').isDisabled(), true, 'a full lane takes no more');
    assert.equal(await page.getByTestId('maint-minus-3').isDisabled(), true, 'an empty lane goes no lower');
    await waitText('maint-log', /set_stock #2 3 → 8/);
  });

  test('the toggle switches a lane on and off through the agent', async () => {
    await unlock();
    await page.getByTestId('maint-toggle-3').click();
    await waitText('maint-toggle-3', /Enabled/);
    await page.getByTestId('maint-toggle-1').click();
    await waitText('maint-toggle-1', /Disabled/);
    const toggles = rig.agent.callsTo('maintenance.setLaneEnabled').map((p) => {
      const { lane, enabled } = p as { lane: number; enabled: boolean };
      return { lane, enabled };
    });
    assert.deepEqual(toggles, [
      { lane: 3, enabled: true },
      { lane: 1, enabled: false },
    ]);
  });

  test('test vend shows the outcome inline: delivered, and not delivered with the reason', async () => {
    rig.agent.maintenance.testVendAnswers.set(2, { outcome: 'not_delivered', detail: 'jammed' });
    await unlock();
    await page.getByTestId('maint-test-1').click();
    await waitText('maint-result-1', /Delivered — drop confirmed/);
    await waitText('maint-stock-1', '4/10'); // a delivered test vend used one item
    await page.getByTestId('maint-test-2').click();
    await waitText('maint-result-2', /Not delivered — jammed/);
    assert.equal(await page.getByTestId('maint-result-2').getAttribute('data-tone'), 'bad');
    assert.equal(await text('maint-stock-2'), '3/8');
  });

  test('Check shows the lane state the board reports', async () => {
    rig.agent.maintenance.laneStatusAnswers.set(1, { lane: 1, state: 'jammed', detail: 'motor stalled' });
    await unlock();
    await page.getByTestId('maint-check-1').click();
    await waitText('maint-result-1', 'jammed — motor stalled');
    await page.getByTestId('maint-check-2').click();
    await waitText('maint-result-2', 'ok — lane ready');
  });

  test('a refusal other than an ended session shows in the row and keeps the screen', async () => {
    await unlock();
    rig.agent.maintenance.lanes = rig.agent.maintenance.lanes.map((l) =>
      l.lane === 1 ? { ...l, capacity: 5 } : l,
    );
    await page.getByTestId('maint-full-1').click(); // the screen still thinks capacity is 10
    await waitText('maint-result-1', 'lane 1 holds at most 5');
    assert.equal(await screen(), 'maintenance');
  });

  test('an ended session (unauthorized) goes back to the PIN pad', async () => {
    await unlock();
    rig.agent.maintenance.endSession();
    await page.getByTestId('maint-plus-1').click();
    await waitScreen('pin');
    await waitText('pin-message', /enter the PIN again/);
    assert.equal(await text('pin-dots'), '○○○○');
    await enterPin(MAINTENANCE_PIN);
    await waitScreen('maintenance');
  });

  test('Done locks the session, goes back to the products and the token is never sent again', async () => {
    await unlock();
    const token = rig.agent.maintenance.issuedTokens[0]!;
    await page.getByTestId('maint-plus-1').click();
    await waitText('maint-stock-1', '6/10');
    await page.getByTestId('maint-lock').click();
    await waitScreen('idle');
    await until(() => rig.agent.callsTo('maintenance.lock').length === 1, 'the lock call');
    assert.deepEqual(rig.agent.callsTo('maintenance.lock').at(-1), { token });
    const sentBeforeLockReturned = callsWithToken(token).length;
    await page.clock.fastForward(310_000);
    await page.getByTestId('attract').click(); // five quiet minutes brought the attract screen
    await page.getByTestId('product-1').click();
    assert.equal(callsWithToken(token).length, sentBeforeLockReturned, 'nothing carries the old token');
    assert.equal(rig.agent.maintenance.token, null);
    const storage = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
    assert.equal(storage.includes(token), false, 'the token is not kept in web storage');
    assert.equal(page.url().includes(token), false);
    // The grid was reloaded: the agent's catalog is read again after maintenance.
    assert.ok(rig.agent.callsTo('catalog.list').length >= 2);
  });

  test('an untouched maintenance screen locks itself after 5 minutes', async () => {
    await unlock();
    await page.clock.fastForward(240_000);
    await page.getByTestId('maint-plus-1').click(); // a touch restarts the 5 minutes
    await waitText('maint-stock-1', '6/10');
    await page.clock.fastForward(240_000);
    assert.equal(await screen(), 'maintenance');
    await page.clock.fastForward(70_000);
    await waitScreen('idle');
    await until(() => rig.agent.callsTo('maintenance.lock').length === 1, 'the lock call');
    assert.equal(rig.agent.maintenance.token, null);
  });
});

describe('technician toolbox', () => {
  test('version, board/relay/Alipay links, sales today and this week with a bar per day, the agent log', async () => {
    rig.agent.info = { ...rig.agent.info, version: '1.2.3' };
    rig.agent.maintenance.links = {
      board: 'up',
      relay: 'down',
      alipay: { state: 'up', detail: 'last QR code issued 2025-01-01 10:00 UTC' },
    };
    rig.agent.maintenance.sales = {
      todayFen: 1250,
      todayOrders: 3,
      weekFen: 9005,
      weekOrders: 20,
      days: [0, 100, 2000, 0, 5655, 0, 1250].map((fen, i) => ({ day: `2025-01-0${i + 1}`, fen, orders: 1 })),
    };
    rig.agent.maintenance.recentLog = [{ at: Date.now(), line: 'relay: stream connected' }];
    await page.reload();
    await waitScreen('idle');
    await unlock();
    assert.equal(await text('maint-version'), 'v1.2.3');
    assert.match(await text('maint-links'), /Board ● ok/);
    assert.match(await text('maint-links'), /Relay ✕ down/);
    assert.match(await text('maint-links'), /Alipay ● ok \(last QR code issued/);
    assert.match(await text('maint-sales'), /Today ¥12\.50 \(3\)/);
    assert.match(await text('maint-sales'), /7 days ¥90\.05 \(20\)/);
    assert.equal(await page.locator('[data-testid="maint-chart"] li').count(), 7);
    assert.match(await text('maint-chart'), /01-05¥56\.55/);
    assert.match(await text('maint-agent-log'), /relay: stream connected/);
  });

  test('the price is stepped by ¥0.10 through the agent, and the change is in the log', async () => {
    await unlock();
    assert.equal(await text('maint-price-1'), '¥3.50');
    await page.getByTestId('maint-price-up-1').click();
    await waitText('maint-price-1', '¥3.60');
    assert.equal(await page.getByTestId('maint-price-down-2').isDisabled(), true, '¥0.05 cannot lose ¥0.10');
    await page.getByTestId('maint-price-down-1').click();
    await waitText('maint-price-1', '¥3.50');
    const prices = rig.agent.callsTo('maintenance.setPrice').map((p) => {
      const { lane, priceFen } = p as { lane: number; priceFen: number };
      return { lane, priceFen };
    });
    assert.deepEqual(prices, [
      { lane: 1, priceFen: 360 },
      { lane: 1, priceFen: 350 },
    ]);
    await waitText('maint-log', /set_price #1 360 → 350 fen/);
  });

  test('a locked-out PIN pad says how long until it accepts PINs again', async () => {
    rig.agent.maintenance.maxWrongPins = 0;
    await openPinPad();
    // The page's clock is held, and the lockout ends 4½ minutes after it: "5 min" whatever the machine's load.
    const held = (await page.evaluate(() => Date.now())) + 1000;
    await page.clock.pauseAt(held);
    rig.agent.maintenance.lockedUntil = held + 270_000;
    await enterPin(MAINTENANCE_PIN);
    await waitText('pin-message', /Too many attempts — try again in 5 min/);
    assert.match(await text('pin-message'), /请 5 分钟后再试/);
  });
});

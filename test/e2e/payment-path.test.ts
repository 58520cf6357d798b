// The whole payment path with four real processes: the agent (browser host), notify-relay, alipay-sim, and
// vmc-sim on one end of a socat PTY pair with the agent on the other, driven through Debian's Chromium the
// way a customer would: tap, check out, scan the QR code off the screen, pay, take the item.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { signParams, verifyNotify } from '../../app/alipay/index.ts';
import { decodeQrPng } from '../helpers/qr-from-screenshot.ts';
import {
  startStack,
  STACK_APP_ID as APP_ID,
  STACK_KIOSK_ID as KIOSK_ID,
  STACK_MAINTENANCE_PIN,
  type Stack,
} from '../helpers/stack.ts';

interface SimTrade {
  out_trade_no: string;
  qr_code: string;
}

interface Ledger {
  payments: Array<{ outTradeNo: string; fen: number }>;
  refunds: unknown[];
}

let stack: Stack;
let browser: Browser;
let page: Page;

before(async () => {
  stack = await startStack();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1080, height: 1600 } });
  await page.goto(stack.agentUrl());
});

after(async () => {
  await browser?.close();
});

const simTrades = () => stack.simJson<SimTrade[]>('/sim/trades');
const ledger = () => stack.simJson<Ledger>('/sim/ledger');
const motorRuns = () => stack.motorRuns();

async function screen(): Promise<string | null> {
  return page.locator('#app').getAttribute('data-screen');
}

async function checkOut(lane: number): Promise<string> {
  await page.locator(`[data-testid="product-${lane}"]`).click();
  await page.locator('[data-testid="checkout"]').click();
  await page.locator('#app[data-screen="payment"]').waitFor({ timeout: 15_000 });
  const canvas = page.locator('[data-testid="qr"]');
  await canvas.waitFor();
  const decoded = decodeQrPng(await canvas.screenshot());
  assert.ok(decoded, 'the QR code on screen must decode');
  return decoded;
}

test('a customer buys a cola: QR read off the screen equals the one Alipay issued, one motor run on lane 2', async () => {
  await page.locator('[data-testid="product-2"]').waitFor({ timeout: 15_000 });
  const onScreen = await checkOut(2);

  const trades = await simTrades();
  const issued = trades.find((t) => t.qr_code === onScreen);
  assert.ok(issued, `QR on screen ${onScreen} is one alipay-sim issued (${JSON.stringify(trades)})`);
  assert.ok(issued.out_trade_no.startsWith(`${KIOSK_ID}_`));

  const pay = await fetch(`${stack.simUrl}/sim/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qrCode: onScreen }),
  });
  assert.equal(pay.status, 200, await pay.text());

  await page.getByText('Take your item').waitFor({ timeout: 20_000 });
  const book = await ledger();
  assert.deepEqual(
    book.payments.map((p) => [p.outTradeNo, p.fen]),
    [[issued.out_trade_no, 350]],
  );
  assert.deepEqual(book.refunds, [], 'nothing to refund when the cola came out');
  assert.equal(await screen(), 'done');
  const runs = await motorRuns();
  assert.deepEqual(
    runs.map((r) => r.lane),
    [2],
    'exactly one motor run, on lane 2',
  );
});

test('a notification with one byte changed is answered fail, is not pushed, and the sale stays unpaid', async () => {
  await page.locator('#app[data-screen="idle"]').waitFor({ timeout: 20_000 });
  const onScreen = await checkOut(1);
  const trade = (await simTrades()).find((t) => t.qr_code === onScreen);
  assert.ok(trade);

  const relayEvents = async (after: number) => {
    const res = await fetch(`${stack.relayUrl}/v1/kiosks/${KIOSK_ID}/events?after=${after}&wait=0`, {
      headers: { authorization: `Bearer ${stack.relayToken}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { events: Array<{ seq: number }> }).events;
  };
  const lastSeq = Math.max(0, ...(await relayEvents(0)).map((e) => e.seq));

  // A notification exactly as Alipay would sign it, for this order and its amount…
  const params: Record<string, string> = {
    app_id: APP_ID,
    auth_app_id: APP_ID,
    charset: 'utf-8',
    gmt_create: '2026-11-22 15:00:00',
    gmt_payment: '2026-11-22 15:00:05',
    notify_id: `forged${randomBytes(8).toString('hex')}`,
    notify_time: '2026-11-22 15:00:06',
    notify_type: 'trade_status_sync',
    out_trade_no: trade.out_trade_no,
    seller_id: '2088000000000001',
    subject: '矿泉水 Water',
    total_amount: '2.00',
    trade_no: '2026112222001400000000000001',
    trade_status: 'TRADE_SUCCESS',
    version: '1.0',
  };
  // Alipay signs trade notifications without sign_type, then adds it.
  params['sign'] = signParams(
    params,
    createPrivateKey(fs.readFileSync(stack.alipayKeys.privateKeyFile, 'utf8')),
  );
  params['sign_type'] = 'RSA2';
  assert.ok(
    verifyNotify(params, createPublicKey(fs.readFileSync(stack.alipayKeys.publicKeyFile, 'utf8'))),
    'as signed, the notification verifies',
  );
  // …then one byte changed on the way (the amount paid says 2.01 instead of 2.00).
  params['total_amount'] = '2.01';
  const res = await fetch(`${stack.relayUrl}/alipay/notify`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams(params).toString(),
  });
  assert.equal((await res.text()).trim(), 'fail');

  // Not pushed: the relay holds no new event for this kiosk.
  assert.deepEqual(await relayEvents(lastSeq), []);

  // Unpaid: the customer still sees the QR code, and Alipay's ledger has no payment for it.
  assert.equal(await screen(), 'payment');
  const book = await ledger();
  assert.deepEqual(
    book.payments.filter((p) => p.outTradeNo === trade.out_trade_no),
    [],
    'Alipay has no payment for the forged order',
  );
  assert.equal(book.payments.length, 1, 'only the cola was paid');
  assert.deepEqual(
    (await motorRuns()).map((r) => r.lane),
    [2],
    'nothing more came out of the machine',
  );

  await page.locator('[data-testid="cancel"]').click();
  await page.locator('#app[data-screen="payment"]').waitFor({ state: 'detached', timeout: 10_000 });
});

test('a technician opens the maintenance screen with the PIN and test-vends a lane on the real board', async () => {
  await page.locator('#app[data-screen="idle"]').waitFor({ timeout: 20_000 });
  for (let i = 0; i < 5; i++) await page.getByTestId('maintenance-corner').click();
  await page.locator('#app[data-screen="pin"]').waitFor();
  for (const digit of STACK_MAINTENANCE_PIN) await page.getByTestId(`pin-key-${digit}`).click();
  await page.getByTestId('pin-ok').click();
  await page.locator('#app[data-screen="maintenance"]').waitFor({ timeout: 10_000 });
  assert.match((await page.getByTestId('maint-stock-3').textContent()) ?? '', /5\s*\/\s*10/);

  const before = (await motorRuns()).length;
  await page.getByTestId('maint-test-3').click();
  await page
    .getByTestId('maint-result-3')
    .getByText(/Delivered/)
    .waitFor({ timeout: 15_000 });
  const runs = await motorRuns();
  assert.deepEqual(
    runs.slice(before).map((r) => r.lane),
    [3],
    'one motor run on lane 3',
  );
  // The screen re-reads the lane from the agent after the vend: one item fewer.
  await page
    .getByTestId('maint-stock-3')
    .filter({ hasText: /4\s*\/\s*10/ })
    .waitFor({ timeout: 10_000 });

  await page.getByTestId('maint-lock').click();
  await page.locator('#app[data-screen="idle"]').waitFor();
});

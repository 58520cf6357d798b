// The whole payment path with four real processes: the agent (browser host), notify-relay, alipay-sim, and
// vmc-sim on one end of a socat PTY pair with the agent on the other, driven through Debian's Chromium the
// way a customer would: tap, check out, scan the QR code off the screen, pay, take the item.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { signParams, verifyNotify } from '../../app/alipay/index.ts';
import { writeKeyPair } from '../helpers/key-files.ts';
import { startProgram, type RunningProgram } from '../helpers/processes.ts';
import { decodeQrPng } from '../helpers/qr-from-screenshot.ts';
import { startPtyPair } from '../helpers/socat-pty.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const APP_ID = '2021000000000042';
const KIOSK_ID = 'K42';

interface SimTrade {
  out_trade_no: string;
  qr_code: string;
  status?: string;
  total_amount?: string;
}

let dir: string;
let sim: RunningProgram;
let relay: RunningProgram;
let board: RunningProgram;
let agent: RunningProgram;
let browser: Browser;
let page: Page;
let alipayPrivatePem: string;
let alipayPublicPem: string;
let relayToken: string;

before(async () => {
  dir = tempDir('f2f-e2e-');
  const appKeys = writeKeyPair(dir, 'app');
  const alipayKeys = writeKeyPair(dir, 'alipay');
  alipayPrivatePem = alipayKeys.privateKeyPem;
  alipayPublicPem = alipayKeys.publicKeyPem;
  relayToken = randomBytes(24).toString('hex');
  fs.writeFileSync(path.join(dir, 'relay-token'), relayToken + '\n', { mode: 0o600 });

  const pty = await startPtyPair(dir);
  [sim, relay, board] = await Promise.all([
    startProgram('alipay-sim', [
      '--port',
      '0',
      '--app-id',
      APP_ID,
      '--app-public-key',
      appKeys.publicKeyFile,
      '--private-key',
      alipayKeys.privateKeyFile,
    ]),
    startProgram('notify-relay', [
      '--port',
      '0',
      '--db',
      path.join(dir, 'relay.sqlite'),
      '--app-id',
      APP_ID,
      '--alipay-public-key',
      alipayKeys.publicKeyFile,
      '--kiosk',
      `${KIOSK_ID}:@${path.join(dir, 'relay-token')}`,
    ]),
    startProgram('vmc-sim', ['--device', pty.a, '--lanes', '1-4', '--stock', '5', '--control-port', '0']),
  ]);
  const config = {
    kioskId: KIOSK_ID,
    dataDir: path.join(dir, 'agent'),
    alipay: {
      gatewayUrl: `${String(sim.ready['url'])}/gateway.do`,
      appId: APP_ID,
      privateKeyFile: appKeys.privateKeyFile,
      alipayPublicKeyFile: alipayKeys.publicKeyFile,
      notifyUrl: `${String(relay.ready['url'])}/alipay/notify`,
    },
    relay: { url: String(relay.ready['url']), tokenFile: path.join(dir, 'relay-token') },
    dispenser: { driver: 'fafb', path: pty.b },
    sale: { paymentTimeoutSeconds: 120 },
    planogram: [
      { lane: 1, productId: 'W500', name: '矿泉水 Water', priceFen: 200, stock: 5, capacity: 10 },
      { lane: 2, productId: 'COLA', name: '可乐 Cola', priceFen: 350, stock: 5, capacity: 10 },
      { lane: 3, productId: 'TEA', name: '冰红茶 Iced tea', priceFen: 400, stock: 5, capacity: 10 },
    ],
  };
  const configFile = path.join(dir, 'agent.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  agent = await startProgram('kiosk-agent', ['--config', configFile, '--port', '0']);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1080, height: 1600 } });
  await page.goto(String(agent.ready['url']));
});

after(async () => {
  await browser?.close();
});

async function simTrades(): Promise<SimTrade[]> {
  const res = await fetch(`${String(sim.ready['url'])}/sim/trades`);
  const body = (await res.json()) as SimTrade[] | { trades: SimTrade[] };
  return Array.isArray(body) ? body : body.trades;
}

async function motorRuns(): Promise<Array<{ lane: number }>> {
  const res = await fetch(`${String(board.ready['controlUrl'])}/sim/motor-runs`);
  const body = (await res.json()) as Array<{ lane: number }> | { runs: Array<{ lane: number }> };
  return Array.isArray(body) ? body : body.runs;
}

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

  const pay = await fetch(`${String(sim.ready['url'])}/sim/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qrCode: onScreen }),
  });
  assert.equal(pay.status, 200, await pay.text());

  await page.getByText('Take your item').waitFor({ timeout: 20_000 });
  const ledger = (await (await fetch(`${String(sim.ready['url'])}/sim/ledger`)).json()) as {
    payments: Array<{ outTradeNo: string; fen: number }>;
    refunds: unknown[];
  };
  assert.deepEqual(
    ledger.payments.map((p) => [p.outTradeNo, p.fen]),
    [[issued.out_trade_no, 350]],
  );
  assert.deepEqual(ledger.refunds, [], 'nothing to refund when the cola came out');
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
    const res = await fetch(
      `${String(relay.ready['url'])}/v1/kiosks/${KIOSK_ID}/events?after=${after}&wait=0`,
      {
        headers: { authorization: `Bearer ${relayToken}` },
      },
    );
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
  params['sign'] = signParams(params, createPrivateKey(alipayPrivatePem));
  params['sign_type'] = 'RSA2';
  assert.ok(verifyNotify(params, createPublicKey(alipayPublicPem)), 'as signed, the notification verifies');
  // …then one byte changed on the way (the amount paid says 2.01 instead of 2.00).
  params['total_amount'] = '2.01';
  const res = await fetch(`${String(relay.ready['url'])}/alipay/notify`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams(params).toString(),
  });
  assert.equal((await res.text()).trim(), 'fail');

  // Not pushed: the relay holds no new event for this kiosk.
  assert.deepEqual(await relayEvents(lastSeq), []);

  // Unpaid: the customer still sees the QR code, and Alipay's ledger has no payment for it.
  assert.equal(await screen(), 'payment');
  const ledger = (await (await fetch(`${String(sim.ready['url'])}/sim/ledger`)).json()) as {
    payments: Array<{ outTradeNo: string; fen: number }>;
  };
  assert.deepEqual(
    ledger.payments.filter((p) => p.outTradeNo === trade.out_trade_no),
    [],
    'Alipay has no payment for the forged order',
  );
  assert.equal(ledger.payments.length, 1, 'only the cola was paid');
  assert.deepEqual(
    (await motorRuns()).map((r) => r.lane),
    [2],
    'nothing more came out of the machine',
  );

  await page.locator('[data-testid="cancel"]').click();
  await page.locator('#app[data-screen="payment"]').waitFor({ state: 'detached', timeout: 10_000 });
});

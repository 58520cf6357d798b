// The operator console in a real Chromium against a real relay on loopback, at a desktop and a tablet size:
// nothing is reachable without the login, a wrong password is refused after a delay, the fleet shows a kiosk
// go offline when its websocket drops (a real kiosk client, closed), a kiosk opens with its chart and orders,
// a reconciliation day opens with its differences and actions, no serious or critical axe-core violation, no
// CSP violation or script error, and signing out closes it again.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildConsole } from '../../../backend-bridge/console/build.ts';
import { openRelayDb } from '../../../backend-bridge/db.ts';
import { sqlitePlainSql } from '../../../backend-bridge/plain-sql.ts';
import { hashAdminPassword, type RunningRelay } from '../../../backend-bridge/index.ts';
import { ReconciliationStore } from '../../../backend-bridge/reconcile/store.ts';
import { KIOSKS, oneLaneStatus, startTestRelay, tempDir, TestStream, uploadTelemetry } from '../helpers.ts';

const PASSWORD = 'correct horse battery staple';
const DELAY_MS = 500;
const K1 = KIOSKS[0]!;
const DAY = '2026-11-28';
const LOST = 'K1_20261128101500_lost';

let relay: RunningRelay;
let browser: Browser;

before(async () => {
  const dir = tempDir();
  await buildConsole(path.join(dir, 'console'));
  const dbPath = path.join(dir, 'relay.db');
  relay = await startTestRelay(dbPath, {
    console: {
      passwordHash: hashAdminPassword(PASSWORD),
      dir: path.join(dir, 'console'),
      loginDelayMs: DELAY_MS,
    },
  });
  // A reconciled day with one difference and the refund taken for it, as the reconciliation job stores them.
  const db = openRelayDb(dbPath);
  const store = new ReconciliationStore(sqlitePlainSql(db));
  await store.saveDay({
    day: DAY,
    ranAt: '2026-11-29T02:00:00.000Z',
    status: 'differences',
    trades: 12,
    differences: [
      {
        class: 'paid_not_delivered',
        outTradeNo: LOST,
        kioskId: 'K1',
        owedFen: 350,
        detail: 'paid at Alipay; the kiosk never learned of it',
        alipayPaidFen: 350,
        alipayRefundedFen: 0,
        kioskState: null,
        kioskDeliveredFen: null,
        relayNotifiedFen: null,
        alipayRefunds: [],
      },
    ],
    refunds: [],
  });
  await store.recordAction({
    day: DAY,
    actor: 'operator',
    at: '2026-11-29T02:05:00.000Z',
    outTradeNo: LOST,
    outRequestNo: `${LOST}_RL`,
    refundFen: 350,
    trigger: 'operator',
    result: 'refunded',
    detail: 'refunded in full',
  });
  db.close();
  // A sale K1 settled just now, and its status.
  const now = new Date().toISOString();
  await uploadTelemetry(relay.url, K1, [
    {
      id: 'sale:K1_sold:completed',
      type: 'sale.settled',
      at: now,
      data: {
        outTradeNo: 'K1_20261129120000_sold',
        state: 'completed',
        totalFen: 450,
        deliveredFen: 450,
        items: [{ lane: 3, productId: 'cola', priceFen: 450, vendState: 'delivered', detail: null }],
      },
    },
    oneLaneStatus(now),
  ]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  await relay?.close();
});

async function noSeriousAxeViolation(page: Page, where: string): Promise<void> {
  const result = await new AxeBuilder({ page }).setLegacyMode().analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(bad, [], `axe on ${where}`);
}

async function noSidewaysScroll(page: Page, where: string): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${where}: the page scrolls sideways by ${overflow}px`);
}

for (const [name, viewport] of [
  ['desktop', { width: 1280, height: 900 }],
  ['tablet', { width: 768, height: 1024 }],
] as const) {
  test(`the console at ${name} size: login, fleet with a kiosk going offline, a kiosk, a reconciliation day`, async () => {
    const context = await browser.newContext({ viewport, hasTouch: name === 'tablet' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    try {
      // Nothing but the login page without a session.
      for (const route of [
        '/console/',
        '/console/index.html',
        '/console/console.js',
        '/console/#/kiosk/K1',
      ]) {
        await page.goto(`${relay.url}${route}`);
        assert.equal(new URL(page.url()).pathname, '/console/login', `${route} without a login`);
      }
      // The browser's own requests (its cookies) get nothing from the operator API either.
      for (const route of ['/admin/v1/kiosks', '/admin/v1/kiosks/K1', '/admin/v1/reconciliation'])
        assert.equal((await context.request.get(`${relay.url}${route}`)).status(), 401, route);

      await page.goto(`${relay.url}/console/login`);
      await noSeriousAxeViolation(page, 'the login page');
      await page.getByLabel('Admin password').fill('not the password');
      const started = performance.now();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
      assert.ok(performance.now() - started >= DELAY_MS, 'the wrong password was answered after the delay');
      // Chromium logs that 401 answer (the login page saying "Wrong password") as a failed load: expected.
      problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('status of 401')));

      await page.getByLabel('Admin password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Fleet' }).waitFor();
      const k1Link = page.locator('[data-kiosk-link="K1"]');
      await k1Link.filter({ hasText: 'Offline' }).waitFor();

      // A real kiosk connects, then its link drops: the fleet shows it within 60 s without a reload.
      const kiosk = await TestStream.open(relay.url, K1.id, K1.token);
      kiosk.send({ type: 'hello', lastSeq: 0 });
      await k1Link.filter({ hasText: 'Online' }).waitFor({ timeout: 60_000 });
      await noSeriousAxeViolation(page, 'the fleet');
      await noSidewaysScroll(page, 'the fleet');
      const dropped = performance.now();
      kiosk.ws.terminate();
      await k1Link.filter({ hasText: 'Offline' }).waitFor({ timeout: 60_000 });
      console.log(
        `${name}: the fleet showed K1 offline ${Math.round(performance.now() - dropped)} ms after its link dropped`,
      );
      const row = page.getByRole('row').filter({ has: k1Link });
      await row.getByRole('cell', { name: '¥4.50' }).waitFor();
      await row.getByRole('cell', { name: '3 (1/10)' }).waitFor(); // lane 3 is low

      await page.getByRole('link', { name: 'K1', exact: true }).click();
      await page.getByRole('heading', { name: 'Kiosk K1' }).waitFor();
      await page.locator('figure.chart canvas').first().waitFor();
      assert.equal(await page.locator('figure.chart').count(), 2, 'sales per hour and per day');
      await page.getByRole('cell', { name: 'K1_20261129120000_sold' }).waitFor();
      await page.getByRole('cell', { name: 'lane 3: delivered' }).waitFor();
      await noSeriousAxeViolation(page, 'a kiosk');
      await noSidewaysScroll(page, 'a kiosk');

      await page.getByRole('link', { name: 'Reconciliation' }).click();
      await page.getByRole('link', { name: DAY }).click();
      await page.getByRole('heading', { name: `Reconciliation ${DAY}` }).waitFor();
      await page.getByRole('cell', { name: 'paid_not_delivered' }).waitFor();
      await page.getByRole('cell', { name: `${LOST}_RL` }).waitFor();
      await noSeriousAxeViolation(page, 'a reconciliation day');
      await noSidewaysScroll(page, 'a reconciliation day');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Admin password').waitFor();
      await page.goto(`${relay.url}/console/`);
      assert.equal(new URL(page.url()).pathname, '/console/login', 'signed out');
      assert.deepEqual(problems, [], 'no CSP violation, script error or failed load');
    } finally {
      await context.close();
    }
  });
}

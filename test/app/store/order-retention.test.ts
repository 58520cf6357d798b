// Retention of finished orders (app/store/order-retention.ts) on a real SQLite file: what goes (every row of an
// old finished order, from every table naming it), what must stay (anything still open, owed, unsent or recent),
// the batches and the stop, and the point of it all: a kiosk that keeps selling keeps the same file size.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  DAY_MS,
  openDatabase,
  openStore,
  OrderRetention,
  pruneFinishedOrders,
  type OrderState,
  type Store,
} from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const KEEP_DAYS = 90;
const START = Date.parse('2026-03-02T08:00:00Z');

interface Kiosk {
  readonly store: Store;
  readonly file: string;
  /** Moves the store's clock (ms). */
  advance(ms: number): void;
  now(): number;
}

function kiosk(): Kiosk {
  let clock = START;
  const file = path.join(tempDir('f2f-retention-'), 'kiosk.sqlite');
  const store = openStore(file, () => clock);
  onCleanup(() => store.close());
  return {
    store,
    file,
    advance: (ms) => {
      clock += ms;
    },
    now: () => clock,
  };
}

type Ending = Extract<OrderState, 'completed' | 'refunded' | 'expired' | 'failed'>;

/**
 * One sale to its end through the repositories, as the sale logic writes it (one transaction: the disk is
 * synced once per sale, which changes no page the sale uses), its telemetry uploaded unless told otherwise.
 */
function sell(k: Kiosk, outTradeNo: string, ending: Ending = 'completed', upload = true): void {
  const { orders, refunds, outbox } = k.store;
  k.store.db.transaction(() => {
    orders.create({
      outTradeNo,
      totalFen: 550,
      subject: 'Water, Cola',
      items: [
        { lane: 1, productId: 'W', name: 'Water', priceFen: 200 },
        { lane: 2, productId: 'C', name: 'Cola', priceFen: 350 },
      ],
    });
    if (ending === 'failed') {
      orders.transition(outTradeNo, ['created'], 'failed', { message: 'precreate refused' });
    } else {
      orders.transition(outTradeNo, ['created'], 'awaiting_payment', {
        qrCode: `https://qr.alipay.com/bax0${outTradeNo}`,
        expiresAt: k.now() + 120_000,
      });
      if (ending === 'expired') {
        orders.transition(outTradeNo, ['awaiting_payment'], 'expired', { message: 'the QR code expired' });
      } else {
        orders.recordNotification({
          notifyId: `notify-${outTradeNo}`,
          outTradeNo,
          tradeStatus: 'TRADE_SUCCESS',
          source: 'relay',
          body: `notify_id=notify-${outTradeNo}&out_trade_no=${outTradeNo}&total_amount=5.50&sign=${'S'.repeat(344)}`,
        });
        orders.transition(outTradeNo, ['awaiting_payment'], 'paid', { tradeNo: `2026${outTradeNo}` });
        orders.transition(outTradeNo, ['paid'], 'vending');
        orders.markVending(outTradeNo, 1, 7);
        orders.finishVend(outTradeNo, 1, 'delivered', 'drop sensor saw it');
        orders.markVending(outTradeNo, 2, 8);
        if (ending === 'completed') {
          orders.finishVend(outTradeNo, 2, 'delivered', 'drop sensor saw it');
          orders.transition(outTradeNo, ['vending'], 'completed');
        } else {
          orders.finishVend(outTradeNo, 2, 'not_delivered', 'motor jammed');
          orders.transition(outTradeNo, ['vending'], 'refund_pending');
          refunds.enqueue({
            outRequestNo: `${outTradeNo}_R2`,
            outTradeNo,
            amountFen: 350,
            reason: 'not delivered',
          });
          refunds.recordAttempt(`${outTradeNo}_R2`, { state: 'succeeded' });
          orders.transition(outTradeNo, ['refund_pending'], 'refunded');
        }
      }
    }
    if (upload) outbox.markSent(outbox.unsent(1000).map((e) => e.id));
  })();
}

/** Every table with an out_trade_no column, found in the schema itself so that a new one cannot be missed. */
function tablesNamingOrders(store: Store): string[] {
  const tables = store.db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .pluck()
    .all() as string[];
  return tables.filter((t) =>
    (store.db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).includes(
      'out_trade_no',
    ),
  );
}

/** How many rows each table holds for one order. */
function rowsOf(store: Store, outTradeNo: string): Record<string, number> {
  return Object.fromEntries(
    tablesNamingOrders(store).map((t) => [
      t,
      store.db.prepare(`SELECT count(*) FROM ${t} WHERE out_trade_no = ?`).pluck().get(outTradeNo) as number,
    ]),
  );
}

const cutoffOf = (k: Kiosk): number => k.now() - KEEP_DAYS * DAY_MS;

/** A kiosk that keeps selling: a day past the retention of what it sold so far, and a sale made that day. */
function dayAfterRetention(k: Kiosk, todaysSale: string): void {
  k.advance((KEEP_DAYS + 1) * DAY_MS);
  sell(k, todaysSale, 'failed');
}

test('an old finished order goes with every row of it, from every table that names it; a recent one keeps all of its rows', () => {
  const k = kiosk();
  sell(k, 'K1_done', 'completed');
  sell(k, 'K1_refunded', 'refunded');
  sell(k, 'K1_expired', 'expired');
  sell(k, 'K1_failed', 'failed');
  k.advance((KEEP_DAYS + 1) * DAY_MS);
  sell(k, 'K1_recent', 'refunded');
  sell(k, 'K1_recent_expired', 'expired');
  assert.deepEqual(tablesNamingOrders(k.store), [
    'order_events',
    'order_items',
    'orders',
    'payment_notifications',
    'refunds',
  ]);
  const old = rowsOf(k.store, 'K1_refunded');
  assert.ok(
    Object.values(old).every((n) => n > 0),
    `the refunded sale has a row in every table: ${JSON.stringify(old)}`,
  );
  const recent = rowsOf(k.store, 'K1_recent');
  // Telemetry waiting for upload that names no order (the board's link) holds back no order.
  k.store.outbox.record('board.link', { state: 'offline', detail: 'cable' });

  assert.equal(pruneFinishedOrders(k.store.db, cutoffOf(k)), 4);

  for (const gone of ['K1_done', 'K1_refunded', 'K1_expired', 'K1_failed']) {
    assert.deepEqual(
      rowsOf(k.store, gone),
      { order_events: 0, order_items: 0, orders: 0, payment_notifications: 0, refunds: 0 },
      gone,
    );
  }
  assert.deepEqual(rowsOf(k.store, 'K1_recent'), recent);
  assert.equal(k.store.orders.mustGet('K1_recent_expired').state, 'expired');
  assert.equal(k.store.orders.mustGet('K1_recent').state, 'refunded');
  assert.deepEqual(k.store.db.pragma('foreign_key_check'), [], 'no row points at a removed order');
});

/** An order of one water, its QR code shown and not paid yet. */
function showQrCode(k: Kiosk, outTradeNo: string): void {
  k.store.orders.create({
    outTradeNo,
    totalFen: 200,
    subject: 'Water',
    items: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 200 }],
  });
  k.store.orders.transition(outTradeNo, ['created'], 'awaiting_payment', { expiresAt: k.now() + 120_000 });
}

/** A refund of 200 fen on `K2_kept`, committed and not yet confirmed by Alipay. */
const oweRefund = (k: Kiosk): void => {
  k.store.refunds.enqueue({ outRequestNo: 'K2_kept_R9', outTradeNo: 'K2_kept', amountFen: 200, reason: 'x' });
};

/** Each thing that must keep an old finished order, made on the order `K2_kept`. */
const kept: ReadonlyArray<{ readonly rule: string; readonly make: (k: Kiosk) => void }> = [
  {
    rule: 'an order still open (paid, never vended)',
    make: (k) => {
      showQrCode(k, 'K2_kept');
      k.store.orders.transition('K2_kept', ['awaiting_payment'], 'paid', { tradeNo: '2026K2' });
      k.store.outbox.markSent(k.store.outbox.unsent(1000).map((e) => e.id));
    },
  },
  {
    rule: 'a refund still pending (Alipay not yet asked or not yet answered)',
    make: (k) => {
      sell(k, 'K2_kept', 'completed');
      oweRefund(k);
    },
  },
  {
    rule: 'a refund Alipay refused (money still owed, waiting for a person)',
    make: (k) => {
      sell(k, 'K2_kept', 'refunded');
      oweRefund(k);
      k.store.refunds.recordAttempt('K2_kept_R9', { state: 'failed', error: 'TRADE_HAS_CLOSE: closed' });
    },
  },
  {
    rule: 'a cancel Alipay has not confirmed',
    make: (k) => {
      sell(k, 'K2_kept', 'expired');
      k.store.orders.setCancelPending('K2_kept', true);
    },
  },
  {
    rule: 'its sale.settled event not uploaded yet',
    make: (k) => sell(k, 'K2_kept', 'completed', false),
  },
  {
    rule: 'an order finished exactly keepDays ago (not before the cutoff)',
    make: (k) => {
      k.advance(DAY_MS); // the others are sold a day before this one
      sell(k, 'K2_kept', 'expired'); // no notification, no refund: only its own end counts
    },
  },
  {
    rule: 'a notification received at or after the cutoff (a late one is evidence too)',
    make: (k) => {
      sell(k, 'K2_kept', 'completed');
      k.advance(DAY_MS); // at the cutoff: not before it
      k.store.orders.recordNotification({
        notifyId: 'late',
        outTradeNo: 'K2_kept',
        tradeStatus: 'TRADE_CLOSED',
        source: 'relay',
        body: 'x',
      });
      k.advance(-DAY_MS);
    },
  },
  {
    rule: 'a refund settled at or after the cutoff',
    make: (k) => {
      sell(k, 'K2_kept', 'completed');
      oweRefund(k);
      k.advance(DAY_MS); // at the cutoff: not before it
      k.store.refunds.recordAttempt('K2_kept_R9', { state: 'succeeded' });
      k.advance(-DAY_MS);
    },
  },
];

for (const { rule, make } of kept) {
  test(`kept: ${rule}; an old finished order beside it goes`, () => {
    const k = kiosk();
    sell(k, 'K2_gone', 'completed');
    make(k);
    const rows = rowsOf(k.store, 'K2_kept');
    // The cutoff is a day after both sales: only the rule (or, for the cutoff rule, its sale a day later) keeps it.
    assert.equal(pruneFinishedOrders(k.store.db, START + DAY_MS), 1);
    assert.equal(k.store.orders.get('K2_gone'), null);
    assert.deepEqual(rowsOf(k.store, 'K2_kept'), rows, 'every row of the kept order is still there');
  });
}

test('old notifications of orders this kiosk does not have go, batch by batch; recent ones and those of a kept order stay', async () => {
  const k = kiosk();
  const notification = (notifyId: string, outTradeNo: string) =>
    k.store.orders.recordNotification({
      notifyId,
      outTradeNo,
      tradeStatus: 'TRADE_SUCCESS',
      source: 'relay',
      body: 'x',
    });
  notification('old-1', 'K3_unknown');
  notification('old-2', 'K3_unknown');
  notification('old-3', 'K3_forgotten');
  sell(k, 'K3_owed', 'completed');
  k.store.refunds.enqueue({ outRequestNo: 'K3_owed_R1', outTradeNo: 'K3_owed', amountFen: 200, reason: 'x' });
  dayAfterRetention(k, 'K3_today');
  notification('recent', 'K3_unknown');
  const lines: string[] = [];
  assert.equal(await retention(k, lines, 1).prune(), 0);
  assert.deepEqual(
    k.store.db.prepare('SELECT notify_id FROM payment_notifications ORDER BY notify_id').pluck().all(),
    ['notify-K3_owed', 'recent'],
  );
  assert.deepEqual(lines, [
    `retention: removed 0 finished orders and 3 notifications of unknown orders from before ${new Date(cutoffOf(k)).toISOString()} (kept 90 days)`,
  ]);
});

function retention(k: Kiosk, lines: string[], batchSize: number): OrderRetention {
  return new OrderRetention({
    db: k.store.db,
    keepDays: KEEP_DAYS,
    now: () => k.now(),
    log: (line) => lines.push(line),
    batchSize,
  });
}

const orderCount = (k: Kiosk): number =>
  k.store.db.prepare('SELECT count(*) FROM orders').pluck().get() as number;

test('a prune works through every batch and logs one line with the count and cutoff, never an order; nothing removed logs nothing', async () => {
  const k = kiosk();
  for (let i = 0; i < 5; i++) sell(k, `K4_${i}`, 'completed');
  k.advance((KEEP_DAYS + 1) * DAY_MS);
  sell(k, 'K4_recent', 'completed');
  const lines: string[] = [];
  const r = retention(k, lines, 2);
  assert.equal(await r.prune(), 5);
  assert.equal(orderCount(k), 1);
  assert.deepEqual(lines, [
    `retention: removed 5 finished orders from before ${new Date(cutoffOf(k)).toISOString()} (kept 90 days)`,
  ]);
  assert.equal(await r.prune(), 0);
  assert.equal(lines.length, 1, 'a prune that removed nothing says nothing');
});

test("a clock set years ahead forgets only what is keepDays older than the kiosk's newest finished sale", async () => {
  const k = kiosk();
  sell(k, 'K8_old', 'completed');
  k.advance((KEEP_DAYS + 1) * DAY_MS);
  sell(k, 'K8_month', 'completed');
  k.advance(30 * DAY_MS);
  sell(k, 'K8_newest', 'expired');
  const newest = k.now();
  k.advance(3 * 365 * DAY_MS); // the clock jumps three years ahead before the agent starts
  // A QR code shown under the wrong clock is not a finished sale: it moves nothing.
  showQrCode(k, 'K8_open');
  const lines: string[] = [];
  assert.equal(await retention(k, lines, 10).prune(), 1);
  assert.equal(k.store.orders.get('K8_old'), null);
  assert.equal(k.store.orders.get('K8_month')?.state, 'completed');
  assert.equal(k.store.orders.get('K8_newest')?.state, 'expired');
  assert.match(
    lines[0] ?? '',
    new RegExp(`from before ${new Date(newest - KEEP_DAYS * DAY_MS).toISOString()}`),
  );
});

test('start prunes at once and then every interval; stop ends a prune after its current batch', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const k = kiosk();
  for (let i = 0; i < 3; i++) sell(k, `K5_${i}`, 'completed');
  dayAfterRetention(k, 'K5_today');
  const lines: string[] = [];
  const r = retention(k, lines, 1);
  r.start();
  assert.equal(orderCount(k), 3, 'the first batch ran at start');
  await r.stop();
  assert.equal(orderCount(k), 3, 'no batch after stop');
  assert.match(lines.join('\n'), /^retention: removed 1 finished orders /);
  t.mock.timers.tick(3_600_000);
  assert.equal(orderCount(k), 3, 'no prune once stopped');
  r.start();
  assert.equal(orderCount(k), 3, 'a stopped retention does not start again');

  const hourly = retention(k, [], 10);
  hourly.start();
  assert.equal(await hourly.prune(), 2, 'the prune at start, joined');
  assert.equal(orderCount(k), 1, "today's sale is kept");
  dayAfterRetention(k, 'K5_later');
  t.mock.timers.tick(3_599_999);
  assert.equal(orderCount(k), 2, 'not before the hour');
  t.mock.timers.tick(1);
  assert.equal(orderCount(k), 1, 'pruned on the hour');
  await hourly.stop();
});

test('once stopped it never touches the database again, which the agent closes next: not at a second start, not on the hour', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const k = kiosk();
  sell(k, 'K9_old', 'completed');
  dayAfterRetention(k, 'K9_today');
  const db = openDatabase(k.file); // the retention's own connection, closed here as the agent closes its store
  const lines: string[] = [];
  const r = new OrderRetention({ db, keepDays: KEEP_DAYS, now: () => k.now(), log: (l) => lines.push(l) });
  r.start();
  r.start(); // a second start adds no second timer
  await r.stop();
  db.close();
  r.start();
  t.mock.timers.tick(3_600_000);
  t.mock.timers.tick(3_600_000);
  assert.deepEqual(lines, [
    `retention: removed 1 finished orders from before ${new Date(cutoffOf(k)).toISOString()} (kept 90 days)`,
  ]);
});

test('a prune that fails is logged and tried again later, the agent keeps running', async () => {
  const k = kiosk();
  sell(k, 'K6_a', 'completed');
  dayAfterRetention(k, 'K6_today');
  const lines: string[] = [];
  const r = retention(k, lines, 10);
  k.store.db.exec(
    "CREATE TRIGGER no_delete BEFORE DELETE ON orders BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
  );
  assert.equal(await r.prune(), 0);
  assert.match(lines.join('\n'), /^retention: prune failed, tried again at the next prune: disk says no$/);
  assert.ok(k.store.orders.get('K6_a'), 'the failed batch was rolled back whole');
  assert.equal(rowsOf(k.store, 'K6_a')['order_items'], 2);
  k.store.db.exec('DROP TRIGGER no_delete');
  assert.equal(await r.prune(), 1);
});

/** The file's size as SQLite lays it out, and on disk once the WAL is written back. */
function footprint(k: Kiosk): { pages: number; bytes: number } {
  k.store.db.pragma('wal_checkpoint(TRUNCATE)');
  return {
    pages: k.store.db.pragma('page_count', { simple: true }) as number,
    bytes: fs.statSync(k.file).size,
  };
}

test('a kiosk that keeps selling past the retention keeps the same file: freed pages are reused, no VACUUM', async () => {
  const k = kiosk();
  const SALES = 400;
  const sellOne = (round: number, i: number) => {
    sell(k, `K7r${round}n${i}`, i % 10 === 0 ? 'refunded' : i % 10 === 1 ? 'expired' : 'completed');
    k.advance(60_000);
  };
  const sellMany = (round: number, from = 0) => {
    for (let i = from; i < SALES; i++) sellOne(round, i);
  };
  const empty = footprint(k);
  sellMany(1);
  const first = footprint(k);
  assert.ok(
    first.pages - empty.pages > 100,
    `${SALES} sales take pages: ${JSON.stringify({ empty, first })}`,
  );

  // Each day's first sale is written before its prune frees pages, and B-trees are laid out around the freed
  // pages: the file settles a few pages above the first round (4 of 197 here; keeping everything would add ~190
  // a round), and from the third round on not one page more.
  const r = retention(k, [], 200);
  let steady: { pages: number; bytes: number } | null = null;
  for (let round = 2; round <= 5; round++) {
    k.advance((KEEP_DAYS + 1) * DAY_MS);
    sellOne(round, 0); // the day's first sale; the hourly prune follows it
    assert.equal(await r.prune(), SALES);
    sellMany(round, 1);
    assert.equal(orderCount(k), SALES);
    const now = footprint(k);
    assert.ok(
      now.pages <= first.pages * 1.03,
      `round ${round}: ${now.pages} pages, ${first.pages} after the first`,
    );
    assert.equal(now.bytes, now.pages * (k.store.db.pragma('page_size', { simple: true }) as number));
    if (round === 3) steady = now;
    if (steady) assert.deepEqual(now, steady, `round ${round} is the size of round 3`);
  }
});

import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import {
  migrate,
  migrations,
  MigrationError,
  openDatabase,
  openStore,
  schemaVersion,
  StoreOpenError,
} from '../../../app/store/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('the database file is opened with WAL, synchronous=FULL and foreign keys, at the newest schema', () => {
  const file = path.join(tempDir(), 'kiosk.sqlite');
  const db = openDatabase(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('synchronous', { simple: true }), 2); // FULL
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(schemaVersion(db), migrations.at(-1)?.version);
  db.close();
  assert.ok(fs.existsSync(file));
});

test('migrations apply once, in order, and a reopen keeps data', () => {
  const file = path.join(tempDir(), 'kiosk.sqlite');
  const store = openStore(file);
  store.lanes.seedIfEmpty([
    { lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 3, capacity: 5, enabled: true },
  ]);
  store.close();
  const again = openStore(file);
  assert.equal(again.lanes.get(1)?.stock, 3);
  assert.equal(migrate(again.db), migrations.at(-1)?.version);
  again.close();
});

test('a database from a newer agent is refused rather than run with an older schema', () => {
  const file = path.join(tempDir(), 'kiosk.sqlite');
  const raw = new Database(file);
  raw.pragma('user_version = 999');
  raw.close();
  assert.throws(() => openDatabase(file), MigrationError);
});

test('a migration that fails leaves the schema version where it was', () => {
  const db = new Database(':memory:');
  const broken = [...migrations, { version: 99, description: 'broken', sql: 'CREATE TABLE x (; nonsense' }];
  assert.throws(() => migrate(db, broken));
  assert.equal(schemaVersion(db), migrations.at(-1)?.version);
  db.close();
});

test('a file that is not a database gives a clear error', () => {
  const file = path.join(tempDir(), 'garbage.sqlite');
  fs.writeFileSync(file, 'this is not sqlite'.repeat(100));
  assert.throws(
    () => openDatabase(file),
    (err: Error) => err instanceof StoreOpenError || /not a database/.test(err.message),
  );
});

test('money columns refuse non-positive prices and negative stock', () => {
  const store = openStore(path.join(tempDir(), 'k.sqlite'));
  assert.throws(() =>
    store.lanes.seedIfEmpty([
      { lane: 1, productId: 'W', name: 'Water', priceFen: 0, stock: 1, capacity: 1, enabled: true },
    ]),
  );
  assert.deepEqual(store.lanes.list(), []);
  store.close();
});

test('an order moves only along guarded transitions, and a vend intent is recorded once', () => {
  let clock = 1_000;
  const store = openStore(path.join(tempDir(), 'k.sqlite'), () => clock++);
  store.orders.create({
    outTradeNo: 'K1_1',
    totalFen: 400,
    subject: 'Water x2',
    items: [
      { lane: 1, productId: 'W', name: 'Water', priceFen: 200 },
      { lane: 1, productId: 'W', name: 'Water', priceFen: 200 },
    ],
  });
  assert.equal(
    store.orders.transition('K1_1', ['awaiting_payment'], 'paid'),
    false,
    'created is not awaiting_payment',
  );
  assert.equal(
    store.orders.transition('K1_1', ['created'], 'awaiting_payment', { qrCode: 'q', expiresAt: 5 }),
    true,
  );
  assert.equal(store.orders.transition('K1_1', ['awaiting_payment'], 'paid', { tradeNo: 'T' }), true);
  assert.equal(store.orders.transition('K1_1', ['awaiting_payment'], 'paid'), false, 'only one path wins');
  assert.equal(store.orders.markVending('K1_1', 1), true);
  assert.equal(store.orders.markVending('K1_1', 1), false, 'an intent on disk is never sent again');
  store.orders.finishVend('K1_1', 1, 'delivered', 'drop confirmed');
  const order = store.orders.mustGet('K1_1');
  assert.equal(order.state, 'paid');
  assert.equal(order.tradeNo, 'T');
  assert.deepEqual(
    order.items.map((i) => i.vendState),
    ['delivered', 'pending'],
  );
  store.close();
});

test('refunds are idempotent by out_request_no and the relay cursor only moves forward', () => {
  const store = openStore(path.join(tempDir(), 'k.sqlite'));
  store.orders.create({
    outTradeNo: 'K1_2',
    totalFen: 200,
    subject: 's',
    items: [{ lane: 1, productId: 'W', name: 'W', priceFen: 200 }],
  });
  store.refunds.enqueue({ outRequestNo: 'K1_2_R1', outTradeNo: 'K1_2', amountFen: 200, reason: 'x' });
  store.refunds.enqueue({ outRequestNo: 'K1_2_R1', outTradeNo: 'K1_2', amountFen: 999, reason: 'again' });
  assert.deepEqual(
    store.refunds.forOrder('K1_2').map((r) => r.amountFen),
    [200],
  );
  store.relayCursor.advance(7);
  store.relayCursor.advance(3);
  assert.equal(store.relayCursor.get(), 7);
  store.close();
});

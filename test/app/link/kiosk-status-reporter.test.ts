// What the operator's kiosk status says and when a new one is recorded, over the kiosk's real SQLite outbox,
// with the check interval driven by mock timers (no agent, no relay: the upload is outbox-uploader's job).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  KioskStatusReporter,
  readKioskStatus,
  type KioskStatus,
  type KioskStatusSources,
} from '../../../app/link/index.ts';
import { openStore, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

interface Kiosk {
  store: Store;
  board: 'up' | 'down';
  refunds: Array<{ state: string; amountFen: number }>;
  depth: number;
  sources: KioskStatusSources;
}

function kiosk(): Kiosk {
  const store = openStore(path.join(tempDir(), 'kiosk.sqlite'));
  onCleanup(() => store.close());
  store.lanes.seedIfEmpty([
    { lane: 1, productId: 'water', name: 'Water', priceFen: 200, stock: 5, capacity: 10, enabled: true },
    { lane: 2, productId: 'tea', name: 'Tea', priceFen: 350, stock: 0, capacity: 8, enabled: false },
  ]);
  const k: Kiosk = {
    store,
    board: 'up',
    refunds: [],
    depth: 0,
    sources: {
      lanes: () => store.lanes.list(),
      boardLink: () => k.board,
      refunds: () => k.refunds,
      outboxDepth: () => k.depth,
    },
  };
  return k;
}

// The relay's fleet view reads a kiosk's status by this type (backend-bridge/fleet.ts).
const statuses = (store: Store): KioskStatus[] =>
  store.outbox
    .unsent()
    .filter((e) => e.type === 'kiosk.status')
    .map((e) => e.data as KioskStatus);

test('the status names each lane, the board link, the refunds owed and refused with their sums, and the outbox depth', () => {
  const k = kiosk();
  k.board = 'down';
  k.depth = 17;
  k.refunds = [
    { state: 'pending', amountFen: 150 },
    { state: 'pending', amountFen: 250 },
    { state: 'failed', amountFen: 300 },
    { state: 'succeeded', amountFen: 999 },
  ];
  assert.deepEqual(readKioskStatus(k.sources), {
    lanes: [
      { lane: 1, productId: 'water', stock: 5, capacity: 10, enabled: true },
      { lane: 2, productId: 'tea', stock: 0, capacity: 8, enabled: false },
    ],
    board: 'down',
    refundsPending: { count: 2, fen: 400 },
    refundsFailed: { count: 1, fen: 300 },
    outboxDepth: 17,
  });
});

test('a status is recorded at start and at each check that finds a change; the outbox depth alone is no change; stop() ends the checks', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const k = kiosk();
  const clock = { now: 1_000_000 };
  const reporter = new KioskStatusReporter({
    sources: k.sources,
    outbox: {
      replaceUnsent: (type, data) => {
        k.store.outbox.record(type, data); // every status kept, to count them
      },
    },
    now: () => clock.now,
    checkEveryMs: 1000,
  });
  reporter.start();
  reporter.start(); // a second start changes nothing
  assert.equal(statuses(k.store).length, 1, 'recorded when the kiosk starts');

  k.depth = 40; // a sale's telemetry waiting: not a change worth a status
  t.mock.timers.tick(1000);
  assert.equal(statuses(k.store).length, 1);

  k.board = 'down';
  t.mock.timers.tick(999);
  assert.equal(statuses(k.store).length, 1, 'not before the next check');
  t.mock.timers.tick(1);
  assert.equal(statuses(k.store).length, 2, 'the board going down is recorded at the next check');
  assert.equal(statuses(k.store)[1]?.board, 'down');
  assert.equal(statuses(k.store)[1]?.outboxDepth, 40);

  clock.now = 1_299_999;
  t.mock.timers.tick(1000);
  assert.equal(statuses(k.store).length, 2, 'the default heartbeat is five minutes');
  clock.now = 1_300_000;
  t.mock.timers.tick(1000);
  assert.equal(statuses(k.store).length, 3, 'the heartbeat records an unchanged status');

  reporter.stop();
  k.board = 'up';
  t.mock.timers.tick(5000);
  assert.equal(statuses(k.store).length, 3, 'no check after stop()');
  reporter.start();
  assert.equal(statuses(k.store).length, 4, 'started again, it records at once');
  reporter.stop();
});

test('without a check interval configured, the kiosk checks every 15 s', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const k = kiosk();
  const reporter = new KioskStatusReporter({ sources: k.sources, outbox: k.store.outbox, now: () => 0 });
  reporter.start();
  onCleanup(() => reporter.stop());
  k.store.lanes.setStock(1, 4);
  t.mock.timers.tick(14_999);
  assert.equal(statuses(k.store)[0]?.lanes[0]?.stock, 5);
  t.mock.timers.tick(1);
  assert.equal(statuses(k.store)[0]?.lanes[0]?.stock, 4, 'the sale that took a bottle shows within 15 s');
});

test('a status the outbox cannot take (a full disk) is logged, and recorded at the next check', () => {
  const k = kiosk();
  const logs: string[] = [];
  let full = true;
  const reporter = new KioskStatusReporter({
    sources: k.sources,
    outbox: {
      replaceUnsent: (type, data) => {
        if (full) throw new Error('database or disk is full');
        k.store.outbox.replaceUnsent(type, data);
      },
    },
    now: () => 0,
    log: (line) => logs.push(line),
  });
  assert.equal(reporter.check(), false);
  assert.deepEqual(logs, ['kiosk status not recorded: database or disk is full']);
  full = false;
  assert.equal(reporter.check(), true, 'the unchanged status was never recorded, so it is now');
  assert.equal(statuses(k.store).length, 1);
});

test('without a log, a status that cannot be read is skipped all the same', () => {
  const reporter = new KioskStatusReporter({
    sources: { ...kiosk().sources, boardLink: () => assert.fail('the board link cannot be read') },
    outbox: { replaceUnsent: () => assert.fail('nothing to record') },
    now: () => 0,
  });
  assert.equal(reporter.check(), false);
});

test('check() says whether it recorded a status: the first, none while nothing changed, one after a change', () => {
  const k = kiosk();
  const reporter = new KioskStatusReporter({ sources: k.sources, outbox: k.store.outbox, now: () => 0 });
  assert.equal(reporter.check(), true);
  assert.equal(reporter.check(), false, 'nothing changed: nothing recorded');
  k.store.lanes.setStock(1, 4);
  assert.equal(reporter.check(), true);
  assert.equal(statuses(k.store).length, 1, 'the newer status replaces the unsent one');
});

// The kiosk's status telemetry: lanes, board link, refunds owed and outbox depth reach the relay when they
// change and on a heartbeat, and a kiosk cut off from its relay keeps one status to upload, not a backlog.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { KIOSK_STATUS, KioskStatusReporter, type KioskStatus } from '../../../app/link/index.ts';
import { openStore } from '../../../app/store/index.ts';
import { startHarness } from '../../helpers/agent-harness.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

function relayStatuses(dir: string): KioskStatus[] {
  const db = new Database(path.join(dir, 'relay.sqlite'), { readonly: true });
  try {
    return (
      db.prepare('SELECT data_json FROM telemetry WHERE type = ? ORDER BY at').all(KIOSK_STATUS) as Array<{
        data_json: string;
      }>
    ).map((r) => JSON.parse(r.data_json) as KioskStatus);
  } finally {
    db.close();
  }
}

test('a lane taken out of service reaches the relay in the kiosk status, with stock and board link', async () => {
  const h = await startHarness();
  await h.agent.telemetry.flush();
  const first = relayStatuses(h.dir).at(-1);
  assert.ok(first, 'the agent reports its status when it starts');
  assert.ok(first.lanes.every((l) => l.enabled));

  h.clock.now += 1000;
  h.agent.store.lanes.setEnabled(2, false);
  h.agent.store.lanes.setStock(1, 1);
  assert.equal(h.agent.status.check(), true, 'a change is recorded at the next check');
  assert.equal(h.agent.status.check(), false, 'nothing changed: nothing recorded');
  await h.agent.telemetry.flush();

  const latest = relayStatuses(h.dir).at(-1)!;
  assert.deepEqual(
    latest.lanes.filter((l) => !l.enabled).map((l) => l.lane),
    [2],
  );
  assert.equal(latest.lanes.find((l) => l.lane === 1)?.stock, 1);
  assert.deepEqual(latest.refundsPending, { count: 0, fen: 0 });
  assert.ok(latest.board === 'up' || latest.board === 'down');
});

test('the heartbeat records an unchanged status again; offline, only the newest unsent one is kept', () => {
  const store = openStore(path.join(tempDir(), 'k.sqlite'));
  store.lanes.seedIfEmpty([
    { lane: 1, productId: 'p1', name: 'Water', priceFen: 200, stock: 5, capacity: 10, enabled: true },
  ]);
  const clock = { now: 1_000_000 };
  const reporter = new KioskStatusReporter({
    sources: {
      lanes: () => store.lanes.list(),
      boardLink: () => 'up',
      refunds: () => [
        { state: 'pending', amountFen: 150 },
        { state: 'failed', amountFen: 300 },
        { state: 'succeeded', amountFen: 999 },
      ],
      outboxDepth: () => store.outbox.unsentCount(),
    },
    outbox: store.outbox,
    now: () => clock.now,
    heartbeatMs: 60_000,
  });
  assert.equal(reporter.check(), true);
  clock.now += 59_999;
  assert.equal(reporter.check(), false);
  clock.now += 1;
  assert.equal(reporter.check(), true, 'the heartbeat is due');
  store.lanes.setStock(1, 0);
  assert.equal(reporter.check(), true);

  const unsent = store.outbox.unsent().filter((e) => e.type === KIOSK_STATUS);
  assert.equal(unsent.length, 1, 'older unsent statuses are replaced');
  const status = unsent[0]!.data as KioskStatus;
  assert.equal(status.lanes[0]?.stock, 0);
  assert.deepEqual(status.refundsPending, { count: 1, fen: 150 });
  assert.deepEqual(status.refundsFailed, { count: 1, fen: 300 });
  store.close();
});

test('a status that cannot be read is logged and the kiosk goes on', () => {
  const lines: string[] = [];
  const reporter = new KioskStatusReporter({
    sources: {
      lanes: () => {
        throw new Error('database is locked');
      },
      boardLink: () => 'up',
      refunds: () => [],
      outboxDepth: () => 0,
    },
    outbox: { replaceUnsent: () => assert.fail('nothing to record') },
    now: () => 0,
    log: (line) => lines.push(line),
  });
  assert.equal(reporter.check(), false);
  assert.match(lines[0] ?? '', /kiosk status not recorded: database is locked/);
});

// The SQLite log's epoch is created with the database and kept across restarts, and renewed when the file
// is older than the log the relay left (a restored backup), or when that cannot be shown.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../backend-bridge/event-store.ts';
import { markPath } from '../../backend-bridge/sqlite-epoch.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const now = (): string => new Date().toISOString();

async function withStore<T>(file: string, use: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = SqliteStore.open(file);
  try {
    await store.openEpoch(now());
    return await use(store);
  } finally {
    await store.close();
  }
}

let n = 0;
const pay = (store: SqliteStore): Promise<unknown> =>
  store.storeNotify({
    dedupKey: `k${++n}`,
    notifyId: `n${n}`,
    outTradeNo: `K1_${n}`,
    notifyKind: 'payment',
    kioskId: 'K1',
    rawBody: `body${n}`,
    params: {},
    receivedAt: now(),
  });

test('the epoch outlives restarts and kill -9, and is renewed when an older backup is restored', async () => {
  const file = path.join(tempDir(), 'relay.db');
  const first = await withStore(file, async (s) => {
    await Promise.all([pay(s), pay(s), pay(s)]);
    return s.epoch;
  });
  assert.equal(await withStore(file, (s) => Promise.resolve(s.epoch)), first, 'a restart keeps the epoch');

  const backup = `${file}.backup`;
  fs.copyFileSync(file, backup); // closed cleanly: the WAL is checkpointed into the file
  await withStore(file, async (s) => {
    await pay(s);
    await pay(s);
  });
  // A kill -9 after a commit and before the mark was rewritten leaves the mark behind the file: same log.
  fs.writeFileSync(markPath(file), JSON.stringify({ epoch: first, position: 4 }));
  assert.equal(await withStore(file, (s) => Promise.resolve(s.epoch)), first, 'a mark behind the file');

  fs.copyFileSync(backup, file); // the operator restores the backup taken at seq 3
  await withStore(file, async (s) => {
    assert.notEqual(s.epoch, first, 'the restored file begins a new epoch');
    // A kiosk that holds seq 5 of the first epoch resumes after 3, the last seq both logs share, and so takes
    // every event the restored log assigns from 4 on (new payments, under the new epoch).
    assert.equal(await s.resumePoint('K1', first, 5), 3);
    assert.deepEqual(await pay(s), { outcome: 'stored', kioskId: 'K1', seq: 4 });
  });
});

test('a database whose high-water mark is missing begins a new epoch (continuity cannot be shown)', async () => {
  const file = path.join(tempDir(), 'relay.db');
  const first = await withStore(file, async (s) => {
    await pay(s);
    return s.epoch;
  });
  fs.rmSync(markPath(file));
  await withStore(file, async (s) => {
    assert.notEqual(s.epoch, first);
    assert.equal(await s.resumePoint('K1', first, 1), 1, 'a kiosk of the old epoch loses nothing');
  });
});

test('a batch in which one write fails keeps the epoch across a restart (the mark counts only what was stored)', async () => {
  const file = path.join(tempDir(), 'relay.db');
  const first = await withStore(file, async (s) => {
    await pay(s);
    // One notify of the next batch is refused by the database: the batch runs again, each write on its own.
    const db = new Database(file);
    db.exec(
      `CREATE TRIGGER refuse_one BEFORE INSERT ON notifies WHEN NEW.out_trade_no = 'K1_refused'
       BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    try {
      const refused = s.storeNotify({
        dedupKey: 'refused',
        notifyId: 'refused',
        outTradeNo: 'K1_refused',
        notifyKind: 'payment',
        kioskId: 'K1',
        rawBody: 'refused',
        params: {},
        receivedAt: now(),
      });
      const [kept, lost] = await Promise.allSettled([pay(s), refused, pay(s)]);
      assert.equal(kept.status, 'fulfilled');
      assert.equal(lost.status, 'rejected');
    } finally {
      db.exec('DROP TRIGGER refuse_one');
      db.close();
    }
    return s.epoch;
  });
  await withStore(file, async (s) => {
    assert.equal(s.epoch, first, 'a restart after a refused write is not taken for a restored backup');
    assert.deepEqual(await pay(s), { outcome: 'stored', kioskId: 'K1', seq: 4 });
  });
});

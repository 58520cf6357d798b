// Group commit on SQLite: notifies submitted in one turn of the event loop share a durable transaction, yet
// each is its own unit: one that fails is refused alone, and the others keep gap-free seqs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../backend-bridge/event-store.ts';
import { GroupCommit, MAX_PACE_MS } from '../../backend-bridge/group-commit.ts';
import type { NotifyRecord } from '../../backend-bridge/store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const record = (i: number): NotifyRecord => ({
  dedupKey: `k${i}`,
  notifyId: `n${i}`,
  outTradeNo: `K1_${i}`,
  notifyKind: 'payment',
  kioskId: 'K1',
  rawBody: `body${i}`,
  params: {},
  receivedAt: new Date().toISOString(),
});

test('one batch: every notify settles with its own outcome; a failing one is refused alone', async () => {
  const store = SqliteStore.open(path.join(tempDir(), 'relay.db'));
  await store.openEpoch(new Date().toISOString());
  try {
    const broken = { ...record(5), rawBody: null as unknown as string }; // violates NOT NULL
    const settled = await Promise.allSettled([
      ...[1, 2, 3, 4].map((i) => store.storeNotify(record(i))),
      store.storeNotify(broken),
      store.storeNotify(record(6)),
      store.storeNotify(record(2)), // a resend inside the same batch
    ]);
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : 'refused')),
      [
        { outcome: 'stored', kioskId: 'K1', seq: 1 },
        { outcome: 'stored', kioskId: 'K1', seq: 2 },
        { outcome: 'stored', kioskId: 'K1', seq: 3 },
        { outcome: 'stored', kioskId: 'K1', seq: 4 },
        'refused',
        { outcome: 'stored', kioskId: 'K1', seq: 5 },
        { outcome: 'duplicate', sameBody: true },
      ],
    );
    assert.deepEqual(
      (await store.eventsAfter('K1', 0, 10)).map((e) => e.body),
      ['body1', 'body2', 'body3', 'body4', 'body6'],
    );
  } finally {
    await store.close();
  }
});

test('the writes of one event-loop turn reach one commit together; a later one starts the next batch', async () => {
  const batches: number[] = [];
  const commits = new GroupCommit((ops) => {
    batches.push(ops.length);
    return ops.map((op) => {
      try {
        return { ok: true, value: op() };
      } catch (err) {
        return { ok: false, error: err as Error };
      }
    });
  });
  const first = [1, 2, 3].map((x) => commits.submit(() => x * 10));
  assert.deepEqual(await Promise.all(first), [10, 20, 30]);
  await assert.rejects(
    commits.submit(() => {
      throw new Error('refused');
    }),
    /refused/,
  );
  assert.deepEqual(batches, [3, 1]);
});

test('after a slow commit the next batch waits as long as it took, and what arrives meanwhile shares it', async () => {
  let now = 0;
  let commitMs = 3;
  const waits: Array<{ ms: number; fn: () => void }> = [];
  const batches: string[][] = [];
  const commits = new GroupCommit(
    (ops) => {
      const names = ops.map((op) => String(op()));
      batches.push(names);
      now += commitMs; // the fsync
      return names.map((value) => ({ ok: true, value }));
    },
    { now: () => now, after: (ms, fn) => void waits.push({ ms, fn }) },
  );
  assert.equal(await commits.submit(() => 'a'), 'a', 'the first commit waits for nothing');
  const b = commits.submit(() => 'b');
  await new Promise((resolve) => setImmediate(resolve)); // another turn of the event loop
  const c = commits.submit(() => 'c');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [['a']], 'b and c wait while the loop turns');
  assert.deepEqual(
    waits.map((w) => w.ms),
    [3],
    'as long as the last commit took',
  );
  commitMs = 0.5; // a quick disk again
  waits.shift()!.fn();
  assert.deepEqual(await Promise.all([b, c]), ['b', 'c']);
  assert.deepEqual(batches, [['a'], ['b', 'c']], 'one commit for both');
  assert.equal(await commits.submit(() => 'd'), 'd', 'a commit under a millisecond paces nothing');
  assert.equal(waits.length, 0);

  commitMs = 60_000; // a disk that stalls
  await commits.submit(() => 'e');
  const f = commits.submit(() => 'f');
  assert.deepEqual(
    waits.map((w) => w.ms),
    [MAX_PACE_MS],
    'never longer than MAX_PACE_MS',
  );
  waits.shift()!.fn();
  assert.equal(await f, 'f');
});

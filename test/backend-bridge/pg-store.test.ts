// Two relay instances on one real PostgreSQL server that the test file starts (pg-fleet.ts): a notify received
// by one instance reaches a kiosk connected to the other, the newest stream of a kiosk wins whichever
// instance holds the older one, and enrollment changes reach every instance. The kill -9 burst across
// instances is pg-crash.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/agent-harness.ts';
import { KIOSKS, TestStream, postNotify, signedNotify } from './helpers.ts';
import { freshDatabase, twoInstances, usePostgres } from './pg-fleet.ts';
import { startRelayProcess } from './relay-process.ts';

const BIN = fileURLToPath(new URL('../../bin/notify-relay.js', import.meta.url));
const [k1] = KIOSKS as [(typeof KIOSKS)[number]];
usePostgres();

test('a notify posted to instance A reaches the kiosk connected to instance B', async () => {
  const [a, b] = await twoInstances();
  try {
    const stream = await TestStream.open(b.url, k1.id, k1.token);
    stream.send({ type: 'hello', lastSeq: 0 });
    const res = await postNotify(a.url, signedNotify({ out_trade_no: 'K1_across' }));
    assert.equal(res.text, 'success');
    const frame = await stream.next();
    assert.equal(frame.seq, 1);
    assert.match(frame.body, /out_trade_no=K1_across/);
    // Both instances serve one log under one epoch.
    const other = await TestStream.open(a.url, 'K2', KIOSKS[1]!.token);
    other.send({ type: 'hello', lastSeq: 0 });
    await waitFor(() => stream.welcomes.length === 1 && other.welcomes.length === 1, 'both welcomed');
    assert.equal(other.welcomes[0]?.epoch, stream.welcomes[0]?.epoch);
    await stream.close();
    await other.close();
  } finally {
    await a.stop();
    await b.stop();
  }
});

test("a kiosk's newer stream on instance B closes its older stream on instance A (4000)", async () => {
  const [a, b] = await twoInstances();
  try {
    const older = await TestStream.open(a.url, k1.id, k1.token);
    older.send({ type: 'hello', lastSeq: 0 });
    await waitFor(() => older.welcomes.length === 1, 'older stream welcomed');
    const newer = await TestStream.open(b.url, k1.id, k1.token);
    newer.send({ type: 'hello', lastSeq: 0 });
    assert.equal(await older.closed, 4000);
    // The newer one is the kiosk's stream now: it gets what is posted to either instance.
    assert.equal((await postNotify(a.url, signedNotify({ out_trade_no: 'K1_newer' }))).text, 'success');
    assert.match((await newer.next()).body, /out_trade_no=K1_newer/);
    assert.equal(newer.closeCode, undefined, 'the newer stream stays open');
    await newer.close();
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('kiosk add and revoke with --database: the new kiosk is served by every instance, its revoked stream closes (4001)', async () => {
  const { url, config } = await freshDatabase();
  const a = await startRelayProcess(config);
  const b = await startRelayProcess(config);
  const kiosk = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, 'kiosk', ...args, '--database', url], { encoding: 'utf8' });
  try {
    const added = kiosk('add', 'K9');
    assert.equal(added.status, 0, added.stderr);
    const stream = await TestStream.open(b.url, 'K9', added.stdout.trim());
    stream.send({ type: 'hello', lastSeq: 0 });
    const body = signedNotify({ out_trade_no: 'K9_enrolled' });
    assert.equal(
      (await postNotify(a.url, body)).text,
      'success',
      'A knows the kiosk enrolled in the database',
    );
    assert.equal((await stream.next()).body, body);
    assert.equal(kiosk('revoke', 'K9').status, 0);
    assert.equal(await stream.closed, 4001, 'B closes the revoked stream (NOTIFY relay_enrollment)');
  } finally {
    await a.stop();
    await b.stop();
  }
});

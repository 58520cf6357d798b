// POST /alipay/notify when the relay's store cannot write: the relay must not answer `success` for a notify it
// did not keep, or Alipay stops resending it and the payment never reaches the kiosk.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { RunningRelay } from '../../backend-bridge/index.ts';
import { KIOSKS, TestStream, postNotify, settle, signedNotify, startTestRelay, tempDir } from './helpers.ts';

const [k1] = KIOSKS as [(typeof KIOSKS)[number]];

describe('notify intake when the store fails', () => {
  let dir: string;
  let dbPath: string;
  let relay: RunningRelay;
  let stream: TestStream;
  const logs: string[] = [];

  before(async () => {
    dir = tempDir();
    dbPath = path.join(dir, 'relay.db');
    relay = await startTestRelay(dbPath, { log: (l) => logs.push(l) });
    stream = await TestStream.open(relay.url, k1.id, k1.token);
    stream.send({ type: 'hello', lastSeq: 0 });
  });

  after(async () => {
    await stream.close();
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Another connection to the relay's file: the store's next insert of a notification fails, as on a full disk. */
  function breakStore(): () => void {
    const db = new Database(dbPath);
    db.exec(
      "CREATE TRIGGER refuse_notifies BEFORE INSERT ON notifies BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
    );
    return () => {
      db.exec('DROP TRIGGER refuse_notifies');
      db.close();
    };
  }

  function storedNotifies(): number {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM notifies').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  async function metric(name: string): Promise<string> {
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .join('\n');
  }

  test('a notify the store cannot keep is answered fail (503); its resend, once the store works, is kept and pushed once', async () => {
    const body = signedNotify({ out_trade_no: 'K1_store-fails-0001' });
    const repair = breakStore();
    let res;
    try {
      res = await postNotify(relay.url, body);
    } finally {
      repair();
    }
    assert.equal(res.status, 503);
    assert.equal(res.text, 'fail', 'Alipay must keep resending a notification that was not stored');
    assert.equal(storedNotifies(), 0);
    await settle(stream);
    assert.equal(stream.frames.length, 0, 'nothing reaches the kiosk');
    assert.match(await metric('relay_notifies_rejected_total'), /reason="store_failed"\} 1$/m);
    assert.ok(
      logs.some((l) => l.includes('notify store failed') && l.includes('disk I/O error')),
      'the operator sees why',
    );

    // Alipay resends the same notification: now it is kept, answered success and delivered.
    const resent = await postNotify(relay.url, body);
    assert.equal(resent.status, 200);
    assert.equal(resent.text, 'success');
    const frame = await stream.next();
    assert.equal(frame.type, 'event');
    assert.equal(frame.body, body);
    assert.equal(storedNotifies(), 1);
  });
});

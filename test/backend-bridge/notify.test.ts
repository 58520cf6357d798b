// POST /alipay/notify: only verified notifications are stored, answered `success` and pushed.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { RunningRelay } from '../../backend-bridge/index.ts';
import {
  APP_ID,
  KIOSKS,
  SELLER_ID,
  TestStream,
  postNotify,
  settle,
  signedNotify,
  startTestRelay,
  tempDir,
} from './helpers.ts';

const [k1, k2] = KIOSKS as [(typeof KIOSKS)[number], (typeof KIOSKS)[number]];

describe('notify intake', () => {
  let dir: string;
  let dbPath: string;
  let relay: RunningRelay;
  let stream1: TestStream;
  let stream2: TestStream;
  const logs: string[] = [];

  before(async () => {
    dir = tempDir();
    dbPath = path.join(dir, 'relay.db');
    relay = await startTestRelay(dbPath, {
      log: (l) => logs.push(l),
      limits: { maxNotifyBytes: 16 * 1024, badNotifiesPerMinute: 1000 },
    });
    stream1 = await TestStream.open(relay.url, k1.id, k1.token);
    stream2 = await TestStream.open(relay.url, k2.id, k2.token);
    stream1.send({ type: 'hello', lastSeq: 0 });
    stream2.send({ type: 'hello', lastSeq: 0 });
  });

  after(async () => {
    await stream1.close();
    await stream2.close();
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Rows in the event log, read straight from the SQLite file the relay writes. */
  function storedEvents(): Array<{ kiosk_id: string; seq: number; raw_body: string }> {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db
        .prepare(
          'SELECT e.kiosk_id, e.seq, n.raw_body FROM events e JOIN notifies n ON n.id = e.notify_ref ORDER BY e.kiosk_id, e.seq',
        )
        .all() as Array<{ kiosk_id: string; seq: number; raw_body: string }>;
    } finally {
      db.close();
    }
  }

  test('a valid signed notify is answered success, stored, and pushed raw to the owning kiosk only', async () => {
    const body = signedNotify({ out_trade_no: 'K1_order-0001' });
    const res = await postNotify(relay.url, body);
    assert.equal(res.status, 200);
    assert.equal(res.text, 'success');
    assert.match(res.contentType ?? '', /^text\/plain/);

    const frame = await stream1.next();
    assert.equal(frame.type, 'event');
    assert.equal(frame.kind, 'alipay_notify');
    assert.equal(frame.seq, 1);
    assert.equal(frame.body, body, 'the raw form body, byte for byte, so the kiosk can re-verify');
    assert.ok(!Number.isNaN(Date.parse(frame.receivedAt)));
    stream1.send({ type: 'ack', seq: 1 });

    await settle(stream2);
    assert.equal(stream2.frames.length, 0, 'K2 must not see K1 payments');
    assert.deepEqual(
      storedEvents().map((e) => [e.kiosk_id, e.seq, e.raw_body]),
      [['K1', 1, body]],
    );
  });

  test('the same notification with one byte changed is answered fail, not stored, not pushed', async () => {
    const before = storedEvents().length;
    const body = signedNotify({ out_trade_no: 'K1_order-0002' });
    const tampered = body.replace('total_amount=3.50', 'total_amount=3.59');
    assert.notEqual(tampered, body);
    assert.equal(tampered.length, body.length);
    const res = await postNotify(relay.url, tampered);
    assert.equal(res.text, 'fail');

    // A flipped character inside the signature itself fails too.
    const sigAt = body.indexOf('sign=') + 10;
    const flipped = body.slice(0, sigAt) + (body[sigAt] === 'A' ? 'B' : 'A') + body.slice(sigAt + 1);
    assert.equal((await postNotify(relay.url, flipped)).text, 'fail');

    await settle(stream1);
    assert.equal(stream1.frames.length, 0);
    assert.equal(storedEvents().length, before);
  });

  test('a notify signed by another key is refused', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const res = await postNotify(relay.url, signedNotify({ out_trade_no: 'K1_forged' }, other));
    assert.equal(res.text, 'fail');
  });

  test('a correctly signed notify for another app_id is refused and not stored', async () => {
    const before = storedEvents().length;
    const res = await postNotify(
      relay.url,
      signedNotify({ app_id: '2021999999999999', out_trade_no: 'K1_x' }),
    );
    assert.equal(res.text, 'fail');
    await settle(stream1);
    assert.equal(stream1.frames.length, 0);
    assert.equal(storedEvents().length, before);
  });

  test('a resent notify (same notify_id) is answered success again but pushed once', async () => {
    const body = signedNotify({ out_trade_no: 'K1_order-0003', notify_id: 'dup-notify-1' });
    assert.equal((await postNotify(relay.url, body)).text, 'success');
    assert.equal((await postNotify(relay.url, body)).text, 'success');
    // Alipay's resend may carry a new notify_time (hence a new signature): still the same notification.
    const resent = signedNotify({
      out_trade_no: 'K1_order-0003',
      notify_id: 'dup-notify-1',
      notify_time: '2026-11-22 16:00:00',
    });
    assert.equal((await postNotify(relay.url, resent)).text, 'success');

    const frame = await stream1.next();
    assert.equal(frame.body, body);
    stream1.send({ type: 'ack', seq: frame.seq });
    await settle(stream1);
    assert.equal(stream1.frames.length, 0, 'no second event for a resend');
    assert.equal(storedEvents().filter((e) => e.raw_body.includes('dup-notify-1')).length, 1);
  });

  test('a refund notify reusing a payment notify_id is a different notification and is delivered', async () => {
    const pay = signedNotify({ out_trade_no: 'K1_order-0004', notify_id: 'shared-id' });
    const refund = signedNotify({
      out_trade_no: 'K1_order-0004',
      notify_id: 'shared-id',
      refund_fee: '3.50',
      out_biz_no: 'K1_order-0004-r1',
      gmt_refund: '2026-11-22 16:10:00',
    });
    assert.equal((await postNotify(relay.url, pay)).text, 'success');
    assert.equal((await postNotify(relay.url, refund)).text, 'success');
    assert.equal((await stream1.next()).body, pay);
    assert.equal((await stream1.next()).body, refund);
  });

  test('a notify for an unknown kiosk is kept as a dead letter, answered success, and counted', async () => {
    const before = storedEvents().length;
    const res = await postNotify(relay.url, signedNotify({ out_trade_no: 'ZZ9_order-1' }));
    assert.equal(res.text, 'success');
    const res2 = await postNotify(relay.url, signedNotify({ out_trade_no: 'no-prefix' }));
    assert.equal(res2.text, 'success');
    assert.equal(storedEvents().length, before, 'no kiosk event');
    const db = new Database(dbPath, { readonly: true });
    const dead = db.prepare('SELECT out_trade_no FROM notifies WHERE kiosk_id IS NULL ORDER BY id').all();
    db.close();
    assert.deepEqual(dead, [{ out_trade_no: 'ZZ9_order-1' }, { out_trade_no: 'no-prefix' }]);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /^relay_notifies_accepted_total\{outcome="unroutable"\} 2$/m);
    assert.match(metrics, /^relay_dead_letters 2$/m);
  });

  test('malformed bodies get a clear rejection and the relay keeps serving', async () => {
    const cases: Array<[string, string | Buffer, string | undefined, number]> = [
      ['garbage', '%%%\u0000not a form', undefined, 400],
      ['empty', '', undefined, 400],
      [
        'duplicate key',
        `${signedNotify({ out_trade_no: 'K1_dupkey' })}&out_trade_no=K1_other`,
        undefined,
        400,
      ],
      ['oversize', `a=${'x'.repeat(20 * 1024)}`, undefined, 413],
      ['not UTF-8', Buffer.from([0x61, 0x3d, 0xff, 0xfe]), undefined, 400],
      ['JSON instead of a form', JSON.stringify({ app_id: APP_ID }), 'application/json', 415],
    ];
    for (const [name, body, type, status] of cases) {
      const res = await postNotify(relay.url, body, type);
      assert.equal(res.text, 'fail', name);
      assert.equal(res.status, status, name);
    }
    // Chunked upload with no Content-Length: the cap is enforced while reading.
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(`${relay.url}/alipay/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write(`a${i}=${'y'.repeat(8 * 1024)}&`);
      req.end();
    });
    assert.deepEqual(chunked, { status: 413, text: 'fail' });

    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /^relay_notifies_rejected_total\{reason="malformed"\} [1-9]/m);
    assert.match(metrics, /^relay_notifies_rejected_total\{reason="too_large"\} 2$/m);

    // Still serving: a good notify goes through.
    const good = signedNotify({ out_trade_no: 'K1_after-garbage' });
    assert.equal((await postNotify(relay.url, good)).text, 'success');
    assert.equal((await stream1.next()).body, good);
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
  });

  test('logs never contain a kiosk token', () => {
    const all = logs.join('\n');
    for (const k of KIOSKS) assert.ok(!all.includes(k.token));
  });
});

describe('seller check', () => {
  test('with sellerId configured, a notify for another seller is refused', async () => {
    const dir = tempDir();
    const relay = await startTestRelay(path.join(dir, 'r.db'), {
      alipay: {
        appId: APP_ID,
        publicKey: (await import('./helpers.ts')).alipayPublicKey,
        sellerId: SELLER_ID,
      },
    });
    try {
      assert.equal(
        (await postNotify(relay.url, signedNotify({ seller_id: '2088999999999999' }))).text,
        'fail',
      );
      assert.equal((await postNotify(relay.url, signedNotify())).text, 'success');
    } finally {
      await relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rate limit on rejected notifies', () => {
  test('behind a trusted proxy the limit follows X-Forwarded-For; with trustProxy false the header is ignored', async () => {
    const dir = tempDir();
    const bad = signedNotify().replace('total_amount=3.50', 'total_amount=9.50');
    const post = (url: string, forwardedFor: string) =>
      fetch(`${url}/alipay/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
        body: bad,
      }).then((r) => r.status);
    const proxied = await startTestRelay(path.join(dir, 'p.db'), {
      trustProxy: true,
      limits: { badNotifiesPerMinute: 2 },
    });
    const direct = await startTestRelay(path.join(dir, 'd.db'), {
      trustProxy: false,
      limits: { badNotifiesPerMinute: 2 },
    });
    try {
      // One bad sender behind the proxy is cut off; another customer of the same proxy is not.
      assert.deepEqual(
        [await post(proxied.url, '9.9.9.9, 10.0.0.1'), await post(proxied.url, '10.0.0.1')],
        [200, 200],
      );
      assert.equal(await post(proxied.url, '10.0.0.1'), 429);
      assert.equal(await post(proxied.url, '10.0.0.2'), 200);
      // With trustProxy false (a relay reached directly) a forged header does not let the sender dodge the limit.
      assert.deepEqual([await post(direct.url, '10.0.0.1'), await post(direct.url, '10.0.0.2')], [200, 200]);
      assert.equal(await post(direct.url, '10.0.0.3'), 429);
    } finally {
      await proxied.close();
      await direct.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('an address that keeps sending bad notifies is cut off with 429; other endpoints still work', async () => {
    const dir = tempDir();
    const relay = await startTestRelay(path.join(dir, 'r.db'), { limits: { badNotifiesPerMinute: 3 } });
    try {
      const bad = signedNotify().replace('total_amount=3.50', 'total_amount=9.50');
      for (let i = 0; i < 3; i++) assert.equal((await postNotify(relay.url, bad)).status, 200);
      const limited = await postNotify(relay.url, bad);
      assert.equal(limited.status, 429);
      assert.equal(limited.text, 'fail');
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      assert.match(metrics, /^relay_notifies_rejected_total\{reason="rate_limited"\} 1$/m);
      assert.match(metrics, /^relay_notifies_rejected_total\{reason="bad_signature"\} 3$/m);
    } finally {
      await relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

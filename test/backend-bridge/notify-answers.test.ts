// POST /alipay/notify: the answer Alipay gets, what is kept, and what the operator reads in the log and the
// metrics, for each kind of notify the relay refuses or takes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { signParams } from '../../app/alipay/index.ts';
import type { RunningRelay } from '../../backend-bridge/index.ts';
import {
  APP_ID,
  SELLER_ID,
  alipayPrivateKey,
  alipayPublicKey,
  postNotify,
  signedNotify,
  startTestRelay,
  tempDir,
} from './helpers.ts';

/** Log lines as objects. */
function parsed(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A signed notify without notify_id (Alipay always sends one; the relay must not collapse two without). */
function withoutNotifyId(overrides: Record<string, string> = {}): string {
  const params = Object.fromEntries(new URLSearchParams(signedNotify(overrides)));
  delete params.notify_id;
  delete params.sign;
  delete params.sign_type;
  const sign = signParams(params, alipayPrivateKey);
  return new URLSearchParams({ ...params, sign, sign_type: 'RSA2' }).toString();
}

/** Headers and the start of a 1000-byte notify body, then the client goes away (a cut connection). */
function sendCutBody(relayUrl: string): void {
  const { hostname, port } = new URL(relayUrl);
  const quitter = net.connect({ host: hostname, port: Number(port) });
  quitter.once('error', () => {});
  quitter.write(
    'POST /alipay/notify HTTP/1.1\r\nHost: relay\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      'Content-Length: 1000\r\n\r\nnotify_id=2',
    () => quitter.end(),
  );
}

/** One counter of the relay's /metrics (0 when absent). */
async function counter(relayUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${relayUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Waits until a counter reaches `value` (the relay counts a cut body when it notices the close). */
async function untilCounter(relayUrl: string, series: string, value: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await counter(relayUrl, series)) >= value) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${series} did not reach ${value}`);
}

describe('notify answers', () => {
  let dir: string;
  let dbPath: string;
  let relay: RunningRelay;
  const logs: string[] = [];

  before(async () => {
    dir = tempDir();
    dbPath = path.join(dir, 'relay.db');
    relay = await startTestRelay(dbPath, {
      log: (l) => logs.push(l),
      alipay: { appId: APP_ID, publicKey: alipayPublicKey, sellerId: SELLER_ID },
      limits: { badNotifiesPerMinute: 1000 },
    });
  });

  after(async () => {
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function notifyRows(): Array<{ out_trade_no: string; kiosk_id: string | null }> {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare('SELECT out_trade_no, kiosk_id FROM notifies ORDER BY id').all() as Array<{
        out_trade_no: string;
        kiosk_id: string | null;
      }>;
    } finally {
      db.close();
    }
  }

  async function metrics(): Promise<string> {
    return (await fetch(`${relay.url}/metrics`)).text();
  }

  test('each refusal has its status, its counter and a log line saying why; nothing is kept', async () => {
    const cases: Array<[string, string, number, string, string]> = [
      ['no sign', 'app_id=1&out_trade_no=K1_x', 400, 'malformed', 'no sign parameter: not an Alipay notify'],
      ['empty form', '&&', 400, 'malformed', 'empty body'],
      ['repeated key', 'a=1&a=2', 400, 'malformed', 'notify repeats parameter "a"'],
      [
        'bad signature',
        signedNotify({ out_trade_no: 'K1_a1' }).replace('total_amount=3.50', 'total_amount=0.01'),
        200,
        'bad_signature',
        'RSA2 signature does not verify',
      ],
      [
        'other app',
        signedNotify({ out_trade_no: 'K1_a2', app_id: '2021999999999999' }),
        200,
        'wrong_app_id',
        'app_id "2021999999999999"',
      ],
      [
        'other seller',
        signedNotify({ out_trade_no: 'K1_a3', seller_id: '2088999999999999' }),
        200,
        'wrong_seller_id',
        'seller_id "2088999999999999"',
      ],
    ];
    for (const [name, body, status, reason, detail] of cases) {
      logs.length = 0;
      const res = await postNotify(relay.url, body);
      assert.deepEqual([res.status, res.text], [status, 'fail'], name);
      const line = parsed(logs).find((l) => l.msg === 'notify rejected');
      assert.ok(line, `${name}: logged`);
      assert.equal(line.reason, reason, name);
      assert.equal(line.detail, detail, name);
      assert.equal(line.ip, '127.0.0.1', name);
    }
    const text = await metrics();
    assert.match(text, /^relay_notifies_received_total 6$/m);
    assert.match(text, /^relay_notifies_rejected_total\{reason="malformed"\} 3$/m);
    for (const reason of ['bad_signature', 'wrong_app_id', 'wrong_seller_id']) {
      assert.match(text, new RegExp(`^relay_notifies_rejected_total\\{reason="${reason}"\\} 1$`, 'm'));
    }
    assert.deepEqual(notifyRows(), []);
  });

  test('a kept notify is logged with its outcome, order, kiosk and sequence; a resend with another body is noted', async () => {
    logs.length = 0;
    const body = signedNotify({ out_trade_no: 'K1_b1', notify_id: 'answers-1' });
    assert.equal((await postNotify(relay.url, body)).text, 'success');
    const stored = parsed(logs).find((l) => l.msg === 'notify accepted');
    assert.ok(stored);
    assert.equal(stored.outcome, 'stored');
    assert.equal(stored.notifyId, 'answers-1');
    assert.equal(stored.outTradeNo, 'K1_b1');
    assert.equal(stored.kioskId, 'K1');
    assert.equal(stored.seq, 1);
    assert.equal(stored.note, undefined);

    logs.length = 0;
    const resent = signedNotify({
      out_trade_no: 'K1_b1',
      notify_id: 'answers-1',
      notify_time: '2026-11-22 16:00:00',
    });
    assert.equal((await postNotify(relay.url, resent)).text, 'success');
    const dup = parsed(logs).find((l) => l.msg === 'notify accepted');
    assert.ok(dup);
    assert.equal(dup.outcome, 'duplicate');
    assert.equal(dup.note, 'resend with a different body');
    assert.equal(dup.kioskId, undefined);

    logs.length = 0;
    assert.equal((await postNotify(relay.url, body)).text, 'success');
    const same = parsed(logs).find((l) => l.msg === 'notify accepted');
    assert.ok(same);
    assert.equal(same.outcome, 'duplicate');
    assert.equal(same.note, undefined, 'the same bytes again is a plain resend');
    assert.match(await metrics(), /^relay_notifies_accepted_total\{outcome="duplicate"\} 2$/m);
  });

  test('without notify_id, what was signed decides: the same notification once, another one kept too', async () => {
    const before = notifyRows().length;
    const first = withoutNotifyId({ out_trade_no: 'K1_c1' });
    assert.equal((await postNotify(relay.url, first)).text, 'success');
    // Appending an empty parameter changes the bytes, not what was signed.
    assert.equal((await postNotify(relay.url, `${first}&gmt_refund=`)).text, 'success');
    assert.equal(notifyRows().length, before + 1);
    // A different notification for the same order (its refund) is kept as well.
    const refund = withoutNotifyId({
      out_trade_no: 'K1_c1',
      refund_fee: '3.50',
      gmt_refund: '2026-11-22 16:10:00',
    });
    assert.equal((await postNotify(relay.url, refund)).text, 'success');
    // And so is another order's payment, though it has the same status and no refund fields either.
    assert.equal((await postNotify(relay.url, withoutNotifyId({ out_trade_no: 'K1_c2' }))).text, 'success');
    assert.deepEqual(notifyRows().slice(before), [
      { out_trade_no: 'K1_c1', kiosk_id: 'K1' },
      { out_trade_no: 'K1_c1', kiosk_id: 'K1' },
      { out_trade_no: 'K1_c2', kiosk_id: 'K1' },
    ]);
  });

  test('notifications that share a notify_id but differ in status or refund fields are each kept', async () => {
    const before = notifyRows().length;
    const base = { out_trade_no: 'K1_d1', notify_id: 'answers-shared' };
    const variants: Array<Record<string, string>> = [
      {},
      { trade_status: 'TRADE_FINISHED' },
      { refund_fee: '1.00', out_biz_no: 'K1_d1-r1', gmt_refund: '2026-11-22 16:10:00' },
      { refund_fee: '1.00', out_biz_no: 'K1_d1-r2', gmt_refund: '2026-11-22 16:10:00' },
      { refund_fee: '1.00', out_biz_no: 'K1_d1-r2', gmt_refund: '2026-11-22 16:20:00' },
      { refund_fee: '2.00', out_biz_no: 'K1_d1-r2', gmt_refund: '2026-11-22 16:20:00' },
    ];
    for (const v of variants)
      assert.equal((await postNotify(relay.url, signedNotify({ ...base, ...v }))).text, 'success');
    assert.equal(notifyRows().length - before, variants.length);
  });

  test('a notify for no kiosk this relay serves is kept as a dead letter and answered success', async () => {
    logs.length = 0;
    const body = signedNotify({ out_trade_no: 'K9_h1', notify_id: 'answers-dead-1' });
    assert.deepEqual(Object.values(await postNotify(relay.url, body)).slice(0, 2), [200, 'success']);
    const line = parsed(logs).find((l) => l.msg === 'notify accepted');
    assert.ok(line);
    assert.deepEqual([line.outcome, line.outTradeNo, line.kioskId], ['unroutable', 'K9_h1', undefined]);
    assert.deepEqual(
      notifyRows().filter((r) => r.out_trade_no === 'K9_h1'),
      [{ out_trade_no: 'K9_h1', kiosk_id: null }],
    );
    assert.match(await metrics(), /^relay_notifies_accepted_total\{outcome="unroutable"\} 1$/m);
  });

  test(
    'a body that is not a form, not UTF-8 or cut short is refused with its own reason, counter and detail',
    { timeout: 30_000 },
    async () => {
      const before = await metrics();
      const count = (text: string, reason: string): number =>
        Number(
          new RegExp(`^relay_notifies_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ??
            0,
        );
      const cases: Array<[string, () => Promise<{ status: number; text: string }>, number, string, string]> =
        [
          [
            'JSON',
            () => postNotify(relay.url, '{"out_trade_no":"K1_f1"}', 'application/json'),
            415,
            'unsupported_media_type',
            'content-type "application/json"',
          ],
          [
            'no content type',
            async () => {
              const res = await fetch(`${relay.url}/alipay/notify`, {
                method: 'POST',
                body: new Uint8Array(Buffer.from('out_trade_no=K1_f2')),
              });
              return { status: res.status, text: await res.text() };
            },
            415,
            'unsupported_media_type',
            'content-type null',
          ],
          [
            'not UTF-8',
            () => postNotify(relay.url, Buffer.from([0x6f, 0x3d, 0xff, 0xfe])),
            400,
            'malformed',
            'request body is not valid UTF-8',
          ],
        ];
      for (const [name, send, status, reason, detail] of cases) {
        logs.length = 0;
        const res = await send();
        assert.deepEqual([res.status, res.text], [status, 'fail'], name);
        const line = parsed(logs).find((l) => l.msg === 'notify rejected');
        assert.ok(line, `${name}: logged`);
        assert.deepEqual([line.reason, line.detail], [reason, detail], name);
      }
      logs.length = 0;
      const cut = new Promise<Record<string, unknown>>((resolve) => {
        const check = setInterval(() => {
          const line = parsed(logs).find((l) => l.msg === 'notify rejected');
          if (line) {
            clearInterval(check);
            resolve(line);
          }
        }, 10);
      });
      sendCutBody(relay.url);
      const line = await cut;
      assert.deepEqual([line.reason, line.detail], ['incomplete', 'request body ended early']);
      const after = await metrics();
      assert.equal(count(after, 'unsupported_media_type') - count(before, 'unsupported_media_type'), 2);
      assert.equal(count(after, 'malformed') - count(before, 'malformed'), 1);
      assert.equal(count(after, 'incomplete') - count(before, 'incomplete'), 1);
      assert.deepEqual(
        notifyRows().filter((r) => r.out_trade_no.startsWith('K1_f')),
        [],
      );
    },
  );
});

describe('notify answers to a rate-limited address', () => {
  test('a limited address still gets success for a genuine notify; its junk is refused unread and unlogged', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const relay = await startTestRelay(path.join(dir, 'r.db'), {
      log: (l) => logs.push(l),
      limits: { badNotifiesPerMinute: 1 },
    });
    try {
      const forged = signedNotify({ out_trade_no: 'K1_e0' }).replace(
        'total_amount=3.50',
        'total_amount=0.01',
      );
      assert.equal((await postNotify(relay.url, forged)).status, 200);
      logs.length = 0;
      // Limited now. Implausible bodies are refused with 429 before any RSA work, and not logged one by one.
      for (const junk of [
        signedNotify({ out_trade_no: 'K1_e1', app_id: '2021999999999999' }),
        signedNotify({ out_trade_no: 'K1_e2' }).replace('sign_type=RSA2', 'sign_type=RSA'),
        'app_id=2021000000000001&sign_type=RSA2',
        'a=1&a=2',
      ]) {
        assert.deepEqual([(await postNotify(relay.url, junk)).status], [429], junk.slice(0, 40));
      }
      // A plausible forgery is verified, refused and still counted as limited.
      assert.equal((await postNotify(relay.url, forged)).status, 429);
      assert.deepEqual(
        parsed(logs).filter((l) => l.msg === 'notify rejected'),
        [],
      );
      const genuine = signedNotify({ out_trade_no: 'K1_e3' });
      assert.deepEqual(Object.values(await postNotify(relay.url, genuine)).slice(0, 2), [200, 'success']);
      const text = await (await fetch(`${relay.url}/metrics`)).text();
      assert.match(text, /^relay_notifies_rejected_total\{reason="rate_limited"\} 5$/m);
      assert.match(text, /^relay_notifies_accepted_total\{outcome="stored"\} 1$/m);
    } finally {
      await relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(
    'a cut body is a broken connection, not a bad notify: it never limits an address, nor counts as limited',
    { timeout: 30_000 },
    async () => {
      const dir = tempDir();
      const relay = await startTestRelay(path.join(dir, 'r.db'), { limits: { badNotifiesPerMinute: 1 } });
      try {
        const incomplete = 'relay_notifies_rejected_total{reason="incomplete"}';
        const limitedSeries = 'relay_notifies_rejected_total{reason="rate_limited"}';
        for (const n of [1, 2, 3]) {
          sendCutBody(relay.url);
          await untilCounter(relay.url, incomplete, n);
        }
        // Three cut bodies from this address and it is not limited: a forgery gets the plain refusal.
        const forged = signedNotify({ out_trade_no: 'K1_g1' }).replace(
          'total_amount=3.50',
          'total_amount=0.01',
        );
        assert.deepEqual(Object.values(await postNotify(relay.url, forged)).slice(0, 2), [200, 'fail']);
        // That refusal limited it; a cut body from it now is still counted as what it is.
        assert.equal((await postNotify(relay.url, forged)).status, 429);
        const limitedBefore = await counter(relay.url, limitedSeries);
        sendCutBody(relay.url);
        await untilCounter(relay.url, incomplete, 4);
        assert.equal(await counter(relay.url, limitedSeries), limitedBefore);
      } finally {
        await relay.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { classifyNotify, parseNotifyBody, verifyNotify } from '../../../app/alipay/index.ts';
import type { AlipaySim, NotifyRecord } from '../../../sim/alipay/index.ts';
import { makeClient, makeKeys, simGet, simPost, startSim } from './fixtures.ts';
import { startReceiver } from './notify-receiver.ts';

const keys = makeKeys();
let sim: AlipaySim;

// The time scale shrinks the trade's own timeout_express too: 15 days become 21.6 s, so a slow machine never
// closes a trade between precreate and pay (the default 120 min would be 0.12 s).
const UNHURRIED = '15d';

before(async () => {
  // 60000× faster: the 4 min first retry takes 4 ms.
  sim = await startSim(keys, { timeScale: 60_000 });
});
after(async () => {
  await sim.close();
});

describe('alipay sim: notifies', () => {
  test('pay sends a signed, form-encoded notify to notify_url; retried until the body is exactly "success"', async () => {
    // "Success", " success" and HTTP-200 "fail" are not acknowledgements.
    const receiver = await startReceiver((i) => ['fail', 'Success', ' success', 'success'][i] ?? 'success');
    try {
      const client = makeClient(sim, keys);
      const pre = await client.precreate({
        outTradeNo: 'N-1',
        totalFen: 990,
        subject: '矿泉水 & 汽水 +1',
        notifyUrl: receiver.url,
        timeoutExpress: UNHURRIED,
      });
      assert.ok(pre.kind === 'success');
      await simPost(sim, '/sim/pay', { qrCode: pre.value.qrCode });
      await receiver.waitFor(4);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(receiver.bodies.length, 4, 'stops once acknowledged');
      const bodies = new Set(receiver.bodies);
      assert.equal(bodies.size, 1, 'same notify (same notify_id) each time');
      const params = parseNotifyBody(receiver.bodies[0] ?? '');
      assert.equal(verifyNotify(params, keys.alipay.publicKey), true);
      assert.equal(params.subject, '矿泉水 & 汽水 +1');
      const c = classifyNotify(params);
      assert.ok(c.kind === 'payment');
      assert.equal(c.totalFen, 990);
      const records = await simGet<NotifyRecord[]>(sim, '/sim/notifies');
      const record = records.find((r) => r.outTradeNo === 'N-1');
      assert.equal(record?.delivered, true);
      assert.equal(record?.attempts, 4);
    } finally {
      await receiver.close();
    }
  });

  test('a refund produces a refund notify; a full refund a TRADE_CLOSED one with refund fields', async () => {
    const receiver = await startReceiver();
    try {
      const client = makeClient(sim, keys);
      await client.precreate({
        outTradeNo: 'N-2',
        totalFen: 300,
        subject: 'x',
        notifyUrl: receiver.url,
        timeoutExpress: UNHURRIED,
      });
      await simPost(sim, '/sim/pay', { outTradeNo: 'N-2' });
      await receiver.waitFor(1);
      await client.refund({ outTradeNo: 'N-2', refundFen: 100, outRequestNo: 'N-2-a' });
      await receiver.waitFor(2);
      await client.refund({ outTradeNo: 'N-2', refundFen: 200, outRequestNo: 'N-2-b' });
      await receiver.waitFor(3);
      const kinds = receiver.bodies.map((b) => {
        const p = parseNotifyBody(b);
        assert.ok(verifyNotify(p, keys.alipay.publicKey));
        return [p.trade_status, classifyNotify(p)];
      });
      assert.deepEqual(
        kinds.map(([s]) => s),
        ['TRADE_SUCCESS', 'TRADE_SUCCESS', 'TRADE_CLOSED'],
      );
      const [, partial] = kinds[1] ?? [];
      const [, full] = kinds[2] ?? [];
      assert.deepEqual(
        partial && typeof partial === 'object' && partial.kind === 'refund'
          ? [partial.refundFeeFen, partial.outBizNo]
          : null,
        [100, 'N-2-a'],
      );
      assert.deepEqual(
        full && typeof full === 'object' && full.kind === 'refund'
          ? [full.refundFeeFen, full.outBizNo]
          : null,
        [300, 'N-2-b'],
      );
    } finally {
      await receiver.close();
    }
  });

  test('notify faults: never, duplicated, delayed', async () => {
    const receiver = await startReceiver();
    try {
      const client = makeClient(sim, keys);
      await simPost(sim, '/sim/faults', { notify: 'never' });
      await client.precreate({
        outTradeNo: 'N-never',
        totalFen: 1,
        subject: 'x',
        notifyUrl: receiver.url,
        timeoutExpress: UNHURRIED,
      });
      await simPost(sim, '/sim/pay', { outTradeNo: 'N-never' });
      await simPost(sim, '/sim/faults', { notify: 'duplicate' });
      await client.precreate({
        outTradeNo: 'N-dup',
        totalFen: 1,
        subject: 'x',
        notifyUrl: receiver.url,
        timeoutExpress: UNHURRIED,
      });
      await simPost(sim, '/sim/pay', { outTradeNo: 'N-dup' });
      await receiver.waitFor(2);
      await simPost(sim, '/sim/faults', { notify: 'delay', notifyDelayMs: 100 });
      await client.precreate({
        outTradeNo: 'N-delay',
        totalFen: 1,
        subject: 'x',
        notifyUrl: receiver.url,
        timeoutExpress: UNHURRIED,
      });
      await simPost(sim, '/sim/pay', { outTradeNo: 'N-delay' });
      assert.equal(receiver.bodies.length, 2, 'delayed notify not there yet');
      await receiver.waitFor(3);
      await simPost(sim, '/sim/faults', { reset: true });
      const outs = receiver.bodies.map((b) => parseNotifyBody(b).out_trade_no);
      assert.deepEqual(outs, ['N-dup', 'N-dup', 'N-delay']);
    } finally {
      await receiver.close();
    }
  });
});

describe('alipay sim: controls and buyer page', () => {
  // Real time here: default timeout_express (120 min) must not run out during the test.
  let sim: AlipaySim;
  before(async () => {
    sim = await startSim(keys);
  });
  after(async () => {
    await sim.close();
  });

  test('GET /sim/trades lists trades; /sim/scan → WAIT_BUYER_PAY; bad control input → 4xx JSON', async () => {
    const client = makeClient(sim, keys);
    const pre = await client.precreate({ outTradeNo: 'C-1', totalFen: 5, subject: 'x' });
    assert.ok(pre.kind === 'success');
    let trades = await simGet<
      { out_trade_no: string; status: string; qr_code: string; total_amount: string }[]
    >(sim, '/sim/trades');
    assert.deepEqual(
      trades.filter((t) => t.out_trade_no === 'C-1').map((t) => [t.status, t.qr_code, t.total_amount]),
      [['NOT_SCANNED', pre.value.qrCode, '0.05']],
    );
    assert.equal((await simPost(sim, '/sim/scan', { qrCode: pre.value.qrCode })).status, 200);
    trades = await simGet(sim, '/sim/trades');
    assert.equal(trades.find((t) => t.out_trade_no === 'C-1')?.status, 'WAIT_BUYER_PAY');
    assert.equal((await simPost(sim, '/sim/pay', { outTradeNo: 'nope' })).status, 404);
    assert.equal((await simPost(sim, '/sim/pay', { foo: 1 })).status, 400);
    assert.equal((await simPost(sim, '/sim/faults', { latencyMs: -1 })).status, 400);
    assert.equal((await simPost(sim, '/sim/faults', { notify: 'sometimes' })).status, 400);
    assert.equal((await fetch(`${sim.url}/nowhere`)).status, 404);
  });

  test('the QR URL shows "pay ¥x.xx" and its button pays', async () => {
    const client = makeClient(sim, keys);
    const pre = await client.precreate({ outTradeNo: 'C-qr', totalFen: 250, subject: '<b>snack</b>' });
    assert.ok(pre.kind === 'success');
    const page = await (await fetch(pre.value.qrCode)).text();
    assert.match(page, /pay ¥2\.50/);
    assert.ok(!page.includes('<b>snack</b>'), 'subject is HTML-escaped');
    const action = /action="([^"]+)"/.exec(page)?.[1];
    assert.ok(action);
    const paid = await (await fetch(`${sim.url}${action}`, { method: 'POST' })).text();
    assert.match(paid, /paid/);
    const q = await client.query({ outTradeNo: 'C-qr' });
    assert.ok(q.kind === 'success' && q.value.tradeStatus === 'TRADE_SUCCESS');
  });

  test('timeout_express (scaled) closes a scanned unpaid trade and makes the QR unpayable', async () => {
    // 1 min / 30 = 2 s: long enough for a busy machine to scan and query before it runs out.
    const fast = await startSim(keys, { timeScale: 30 });
    after(() => fast.close());
    const client = makeClient(fast, keys);
    await client.precreate({ outTradeNo: 'C-exp', totalFen: 1, subject: 'x', timeoutExpress: '1m' });
    assert.equal((await simPost(fast, '/sim/scan', { outTradeNo: 'C-exp' })).status, 200);
    const open = await client.query({ outTradeNo: 'C-exp' });
    assert.ok(open.kind === 'success' && open.value.tradeStatus === 'WAIT_BUYER_PAY');
    await new Promise((r) => setTimeout(r, 2_200));
    const q = await client.query({ outTradeNo: 'C-exp' });
    assert.ok(q.kind === 'success' && q.value.tradeStatus === 'TRADE_CLOSED');
    assert.equal((await simPost(fast, '/sim/pay', { outTradeNo: 'C-exp' })).status, 409);
  });
});

describe('alipay sim: cancel and refund faults', () => {
  test('cancelFailsNext: a paid trade survives a failed cancel; refundRefusedNext: a refund is refused, unrefunded', async () => {
    const client = makeClient(sim, keys, { retries: 0 });
    await client.precreate({
      outTradeNo: 'C-faults',
      totalFen: 300,
      subject: 'x',
      timeoutExpress: UNHURRIED,
    });
    await simPost(sim, '/sim/pay', { outTradeNo: 'C-faults' });
    // `methods` restricts the other counters only: these two apply to their own method whatever it says.
    await simPost(sim, '/sim/faults', {
      cancelFailsNext: 1,
      refundRefusedNext: 1,
      methods: ['alipay.trade.query'],
    });
    const cancel = await client.cancel({ outTradeNo: 'C-faults' });
    assert.equal(cancel.kind, 'unknown', 'ACQ.SYSTEM_ERROR: outcome unknown to the caller');
    const refund = await client.refund({
      outTradeNo: 'C-faults',
      refundFen: 300,
      outRequestNo: 'C-faults_R1',
    });
    assert.ok(refund.kind === 'business_failure' && refund.subCode === 'ACQ.SELLER_BALANCE_NOT_ENOUGH');
    const q = await client.query({ outTradeNo: 'C-faults' });
    assert.ok(q.kind === 'success' && q.value.tradeStatus === 'TRADE_SUCCESS', 'still paid');
    const ledger = await simGet<{ refunds: Array<{ outTradeNo: string }> }>(sim, '/sim/ledger');
    assert.deepEqual(
      ledger.refunds.filter((r) => r.outTradeNo === 'C-faults'),
      [],
    );
    const faults = await simGet<Record<string, unknown>>(sim, '/sim/faults');
    assert.equal(faults['cancelFailsNext'], 0);
    assert.equal(faults['refundRefusedNext'], 0);
    const again = await client.refund({
      outTradeNo: 'C-faults',
      refundFen: 300,
      outRequestNo: 'C-faults_R1',
    });
    assert.ok(
      again.kind === 'success' && again.value.fundChange,
      'counted down: the next refund goes through',
    );
    await simPost(sim, '/sim/faults', { reset: true });
  });
});

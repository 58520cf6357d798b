import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AlipaySim } from '../../../sim/alipay/index.ts';
import { makeClient, makeKeys, simGet, simPost, startSim } from '../../sim/alipay/fixtures.ts';
import type { SimLedger, SimRequest } from '../../sim/alipay/fixtures.ts';

const keys = makeKeys();
let sim: AlipaySim;

before(async () => {
  sim = await startSim(keys);
});
after(async () => {
  await sim.close();
});

describe('AlipayClient against the simulator (real loopback HTTP)', () => {
  test('precreate → not-exist → pay → success → refund → idempotent refund', async () => {
    const client = makeClient(sim, keys);
    const pre = await client.precreate({
      outTradeNo: 'T-flow-1',
      totalFen: 1234,
      subject: '可乐 Cola',
      timeoutExpress: '5m',
    });
    assert.equal(pre.kind, 'success');
    assert.ok(pre.kind === 'success');
    assert.match(pre.value.qrCode, new RegExp(`^${sim.url}/qr/`));
    assert.equal(pre.value.outTradeNo, 'T-flow-1');

    const before = await client.query({ outTradeNo: 'T-flow-1' });
    assert.deepEqual(before, {
      kind: 'business_failure',
      code: '40004',
      subCode: 'ACQ.TRADE_NOT_EXIST',
      subMsg: '交易不存在',
    });

    const paid = await simPost(sim, '/sim/pay', { qrCode: pre.value.qrCode });
    assert.equal(paid.status, 200);

    const after = await client.query({ outTradeNo: 'T-flow-1' });
    assert.equal(after.kind, 'success');
    assert.ok(after.kind === 'success');
    assert.equal(after.value.tradeStatus, 'TRADE_SUCCESS');
    assert.equal(after.value.totalFen, 1234);
    assert.ok(after.value.tradeNo.length > 10);

    const refund = await client.refund({
      outTradeNo: 'T-flow-1',
      refundFen: 234,
      outRequestNo: 'T-flow-1-r1',
    });
    assert.deepEqual(refund, { kind: 'success', value: { fundChange: true, refundFeeFen: 234 } });
    const again = await client.refund({
      outTradeNo: 'T-flow-1',
      refundFen: 234,
      outRequestNo: 'T-flow-1-r1',
    });
    assert.deepEqual(again, { kind: 'success', value: { fundChange: false, refundFeeFen: 234 } });

    const rq = await client.refundQuery({ outTradeNo: 'T-flow-1', outRequestNo: 'T-flow-1-r1' });
    assert.deepEqual(rq, { kind: 'success', value: { refundStatus: 'REFUND_SUCCESS', refundFen: 234 } });
    const none = await client.refundQuery({ outTradeNo: 'T-flow-1', outRequestNo: 'never-made' });
    assert.deepEqual(none, { kind: 'success', value: { refundStatus: null, refundFen: null } });

    const ledger = await simGet<SimLedger>(sim, '/sim/ledger');
    assert.deepEqual(
      ledger.refunds.filter((r) => r.outTradeNo === 'T-flow-1').map((r) => r.fen),
      [234],
      'the repeated refund moved no money',
    );
    assert.deepEqual(
      ledger.payments.filter((p) => p.outTradeNo === 'T-flow-1').map((p) => p.fen),
      [1234],
    );

    // Refunding the rest closes the trade.
    const rest = await client.refund({
      outTradeNo: 'T-flow-1',
      refundFen: 1000,
      outRequestNo: 'T-flow-1-r2',
    });
    assert.deepEqual(rest, { kind: 'success', value: { fundChange: true, refundFeeFen: 1234 } });
    const closed = await client.query({ outTradeNo: 'T-flow-1' });
    assert.ok(closed.kind === 'success' && closed.value.tradeStatus === 'TRADE_CLOSED');
    const over = await client.refund({ outTradeNo: 'T-flow-1', refundFen: 1, outRequestNo: 'T-flow-1-r3' });
    assert.equal(over.kind, 'business_failure');
  });

  test('over-refund is a business failure and moves nothing', async () => {
    const client = makeClient(sim, keys);
    await client.precreate({ outTradeNo: 'T-over', totalFen: 100, subject: 'x' });
    await simPost(sim, '/sim/pay', { outTradeNo: 'T-over' });
    const res = await client.refund({ outTradeNo: 'T-over', refundFen: 101, outRequestNo: 'T-over-r' });
    assert.ok(res.kind === 'business_failure');
    assert.equal(res.subCode, 'ACQ.REASON_TRADE_REFUND_FEE_ERR');
  });

  test('cancel: unscanned → close; paid → refund; close only after scan', async () => {
    const client = makeClient(sim, keys);
    await client.precreate({ outTradeNo: 'T-cancel-a', totalFen: 50, subject: 'a' });
    assert.deepEqual(await client.cancel({ outTradeNo: 'T-cancel-a' }), {
      kind: 'success',
      value: { action: 'close', retryFlag: 'N' },
    });
    const late = await simPost<{ error: string }>(sim, '/sim/pay', { outTradeNo: 'T-cancel-a' });
    assert.equal(late.status, 409, 'a cancelled QR can no longer be paid');

    await client.precreate({ outTradeNo: 'T-cancel-b', totalFen: 70, subject: 'b' });
    await simPost(sim, '/sim/pay', { outTradeNo: 'T-cancel-b' });
    assert.deepEqual(await client.cancel({ outTradeNo: 'T-cancel-b' }), {
      kind: 'success',
      value: { action: 'refund', retryFlag: 'N' },
    });
    const ledger = await simGet<SimLedger>(sim, '/sim/ledger');
    assert.deepEqual(
      ledger.refunds.filter((r) => r.outTradeNo === 'T-cancel-b').map((r) => r.fen),
      [70],
    );

    await client.precreate({ outTradeNo: 'T-close', totalFen: 80, subject: 'c' });
    const early = await client.close({ outTradeNo: 'T-close' });
    assert.ok(early.kind === 'business_failure' && early.subCode === 'ACQ.TRADE_NOT_EXIST');
    await simPost(sim, '/sim/scan', { outTradeNo: 'T-close' });
    const pending = await client.query({ outTradeNo: 'T-close' });
    assert.ok(pending.kind === 'success' && pending.value.tradeStatus === 'WAIT_BUYER_PAY');
    const closed = await client.close({ outTradeNo: 'T-close' });
    assert.equal(closed.kind, 'success');
    const status = await client.query({ outTradeNo: 'T-close' });
    assert.ok(status.kind === 'success' && status.value.tradeStatus === 'TRADE_CLOSED');
  });

  test('a request signed with the wrong key gets 40002 isv.invalid-signature', async () => {
    const other = makeKeys();
    const client = makeClient(sim, { app: other.app, alipay: keys.alipay });
    const res = await client.precreate({ outTradeNo: 'T-badsig', totalFen: 1, subject: 'x' });
    assert.ok(res.kind === 'business_failure');
    assert.equal(res.code, '40002');
    assert.equal(res.subCode, 'isv.invalid-signature');
    const trades = await simGet<{ out_trade_no: string }[]>(sim, '/sim/trades');
    assert.ok(!trades.some((t) => t.out_trade_no === 'T-badsig'), 'nothing was created');
  });

  test('a response verified with the wrong Alipay key is never success', async () => {
    const other = makeKeys();
    const client = makeClient(sim, { app: keys.app, alipay: other.alipay });
    const res = await client.precreate({ outTradeNo: 'T-wrongkey', totalFen: 1, subject: 'x' });
    assert.deepEqual(res, { kind: 'unknown', detail: 'response signature invalid' });
  });

  test('a kiosk clock in another time zone still produces an accepted timestamp; 1 h skew is refused', async () => {
    const skewed = makeClient(sim, keys, { now: () => new Date(Date.now() - 3_600_000) });
    const res = await skewed.precreate({ outTradeNo: 'T-skew', totalFen: 1, subject: 'x' });
    assert.ok(res.kind === 'business_failure' && res.subCode === 'isv.invalid-timestamp');
  });

  test('wrong app_id gets an unsigned error_response → unknown, never success', async () => {
    const client = makeClient(sim, keys, { appId: '2021999999999999' });
    const res = await client.query({ outTradeNo: 'T-x' });
    assert.equal(res.kind, 'unknown');
  });

  test('precreate twice with identical params returns the same QR; different amount is refused', async () => {
    const client = makeClient(sim, keys);
    const a = await client.precreate({ outTradeNo: 'T-twice', totalFen: 10, subject: 's' });
    const b = await client.precreate({ outTradeNo: 'T-twice', totalFen: 10, subject: 's' });
    assert.ok(a.kind === 'success' && b.kind === 'success');
    assert.equal(a.value.qrCode, b.value.qrCode);
    const c = await client.precreate({ outTradeNo: 'T-twice', totalFen: 11, subject: 's' });
    assert.ok(c.kind === 'business_failure' && c.subCode === 'ACQ.CONTEXT_INCONSISTENT');
    const d = await client.precreate({ outTradeNo: 'T-other', totalFen: 10, subject: 's' });
    assert.ok(d.kind === 'success' && d.value.qrCode !== a.value.qrCode, 'qr_code unique per precreate');
  });

  test('invalid arguments reject with typed errors before any request', async () => {
    const client = makeClient(sim, keys);
    const count = (await simGet<SimRequest[]>(sim, '/sim/requests')).length;
    await assert.rejects(client.precreate({ outTradeNo: 'bad no spaces', totalFen: 1, subject: 'x' }), {
      name: 'AlipayError',
      code: 'invalid_argument',
    });
    await assert.rejects(client.precreate({ outTradeNo: 'ok', totalFen: 1.5, subject: 'x' }), {
      code: 'invalid_amount',
    });
    await assert.rejects(client.refund({ outTradeNo: 'ok', refundFen: 0, outRequestNo: 'r' }), {
      code: 'invalid_amount',
    });
    assert.equal((await simGet<SimRequest[]>(sim, '/sim/requests')).length, count);
  });
});

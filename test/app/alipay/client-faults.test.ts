import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { AlipaySim } from '../../../sim/alipay/index.ts';
import { makeClient, makeKeys, simGet, simPost, startSim } from '../../sim/alipay/fixtures.ts';
import type { SimLedger, SimRequest } from '../../sim/alipay/fixtures.ts';

// Each injected gateway fault must map to the right outcome class, and no call that is not safe to
// repeat may ever be sent twice (checked against the simulator's own request log).

const keys = makeKeys();
let sim: AlipaySim;
let seq = 0;

before(async () => {
  sim = await startSim(keys);
});
after(async () => {
  await sim.close();
});
beforeEach(async () => {
  await simPost(sim, '/sim/faults', { reset: true });
});

async function requestsFor(outTradeNo: string, method: string): Promise<SimRequest[]> {
  const all = await simGet<SimRequest[]>(sim, '/sim/requests');
  return all.filter((r) => r.outTradeNo === outTradeNo && r.method === method);
}

async function paidTrade(fen = 500): Promise<string> {
  seq += 1;
  const no = `F-${seq}`;
  const client = makeClient(sim, keys);
  const pre = await client.precreate({ outTradeNo: no, totalFen: fen, subject: 'x' });
  assert.equal(pre.kind, 'success');
  await simPost(sim, '/sim/pay', { outTradeNo: no });
  return no;
}

describe('outcome classes under injected faults', () => {
  test('precreate: 20000 → unknown, sent once', async () => {
    await simPost(sim, '/sim/faults', { serviceUnavailableNext: 1 });
    const res = await makeClient(sim, keys).precreate({
      outTradeNo: 'F-pre-20000',
      totalFen: 1,
      subject: 'x',
    });
    assert.equal(res.kind, 'unknown');
    assert.equal((await requestsFor('F-pre-20000', 'alipay.trade.precreate')).length, 1);
  });

  test('precreate: dropped response after processing → unknown, sent once, trade exists', async () => {
    await simPost(sim, '/sim/faults', { dropResponseNext: 1 });
    const res = await makeClient(sim, keys).precreate({
      outTradeNo: 'F-pre-drop',
      totalFen: 1,
      subject: 'x',
    });
    assert.equal(res.kind, 'unknown');
    assert.equal((await requestsFor('F-pre-drop', 'alipay.trade.precreate')).length, 1);
    const trades = await simGet<{ out_trade_no: string }[]>(sim, '/sim/trades');
    assert.ok(
      trades.some((t) => t.out_trade_no === 'F-pre-drop'),
      'it did happen: that is why the outcome is unknown',
    );
  });

  test('precreate: timeout → unknown, sent once', async () => {
    await simPost(sim, '/sim/faults', { latencyMs: 400 });
    const res = await makeClient(sim, keys, { timeoutMs: 100 }).precreate({
      outTradeNo: 'F-pre-slow',
      totalFen: 1,
      subject: 'x',
    });
    assert.deepEqual(res, { kind: 'unknown', detail: 'timeout' });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await requestsFor('F-pre-slow', 'alipay.trade.precreate')).length, 1);
  });

  test('tampered and unsigned responses are never success', async () => {
    const no = await paidTrade();
    const client = makeClient(sim, keys, { retries: 0 });
    await simPost(sim, '/sim/faults', { tamperSignatureNext: 1 });
    assert.deepEqual(await client.query({ outTradeNo: no }), {
      kind: 'unknown',
      detail: 'response signature invalid',
    });
    await simPost(sim, '/sim/faults', { unsignedNext: 1 });
    const unsigned = await client.query({ outTradeNo: no });
    assert.equal(unsigned.kind, 'unknown');
    assert.ok(unsigned.kind === 'unknown' && unsigned.detail.startsWith('unsigned'));
    assert.equal((await client.query({ outTradeNo: no })).kind, 'success');
  });

  test('query retries through ACQ.SYSTEM_ERROR and 20000 to success', async () => {
    const no = await paidTrade();
    await simPost(sim, '/sim/faults', { systemErrorNext: 1, serviceUnavailableNext: 1 });
    const res = await makeClient(sim, keys).query({ outTradeNo: no });
    assert.ok(res.kind === 'success' && res.value.tradeStatus === 'TRADE_SUCCESS');
    assert.equal((await requestsFor(no, 'alipay.trade.query')).length, 3);
  });

  test('query gives up after its retries → unknown', async () => {
    const no = await paidTrade();
    await simPost(sim, '/sim/faults', { systemErrorNext: 5 });
    const res = await makeClient(sim, keys, { retries: 2 }).query({ outTradeNo: no });
    assert.ok(res.kind === 'unknown' && res.detail.includes('ACQ.SYSTEM_ERROR'));
    assert.equal((await requestsFor(no, 'alipay.trade.query')).length, 3);
  });

  test('refund processed but response dropped → retried with the same out_request_no, money moved once', async () => {
    const no = await paidTrade(500);
    await simPost(sim, '/sim/faults', { dropResponseNext: 1, methods: ['alipay.trade.refund'] });
    const res = await makeClient(sim, keys).refund({
      outTradeNo: no,
      refundFen: 200,
      outRequestNo: `${no}-r`,
    });
    assert.deepEqual(res, { kind: 'success', value: { fundChange: false, refundFeeFen: 200 } });
    const sent = await requestsFor(no, 'alipay.trade.refund');
    assert.equal(sent.length, 2);
    assert.ok(sent.every((r) => r.outRequestNo === `${no}-r`));
    const ledger = await simGet<SimLedger>(sim, '/sim/ledger');
    assert.deepEqual(
      ledger.refunds.filter((r) => r.outTradeNo === no).map((r) => r.fen),
      [200],
    );
  });

  test('refund: ACQ.SYSTEM_ERROR after processing, then success → one refund', async () => {
    const no = await paidTrade(500);
    await simPost(sim, '/sim/faults', {
      systemErrorNext: 1,
      processBeforeError: true,
      methods: ['alipay.trade.refund'],
    });
    const res = await makeClient(sim, keys).refund({
      outTradeNo: no,
      refundFen: 500,
      outRequestNo: `${no}-r`,
    });
    assert.ok(res.kind === 'success' && res.value.refundFeeFen === 500);
    const ledger = await simGet<SimLedger>(sim, '/sim/ledger');
    assert.equal(ledger.refunds.filter((r) => r.outTradeNo === no).length, 1);
  });

  test('business failures are not retried', async () => {
    const client = makeClient(sim, keys);
    const res = await client.query({ outTradeNo: 'F-never-created' });
    assert.ok(res.kind === 'business_failure' && res.subCode === 'ACQ.TRADE_NOT_EXIST');
    assert.equal((await requestsFor('F-never-created', 'alipay.trade.query')).length, 1);
  });

  test('close is not repeated on unknown', async () => {
    seq += 1;
    const no = `F-close-${seq}`;
    const client = makeClient(sim, keys);
    await client.precreate({ outTradeNo: no, totalFen: 1, subject: 'x' });
    await simPost(sim, '/sim/scan', { outTradeNo: no });
    await simPost(sim, '/sim/faults', { dropResponseNext: 1 });
    assert.equal((await client.close({ outTradeNo: no })).kind, 'unknown');
    assert.equal((await requestsFor(no, 'alipay.trade.close')).length, 1);
  });

  test('cancel retries on unknown and reports the refund of a raced payment', async () => {
    const no = await paidTrade(700);
    await simPost(sim, '/sim/faults', { serviceUnavailableNext: 2, methods: ['alipay.trade.cancel'] });
    const res = await makeClient(sim, keys).cancel({ outTradeNo: no });
    assert.deepEqual(res, { kind: 'success', value: { action: 'refund', retryFlag: 'N' } });
    assert.equal((await requestsFor(no, 'alipay.trade.cancel')).length, 3);
    const ledger = await simGet<SimLedger>(sim, '/sim/ledger');
    assert.deepEqual(
      ledger.refunds.filter((r) => r.outTradeNo === no).map((r) => r.fen),
      [700],
    );
  });

  test('connection refused → retryable (nothing was sent)', async () => {
    const dead = await startSim(keys);
    const url = dead.url;
    await dead.close();
    const client = makeClient({ url, close: async () => {} }, keys, { retries: 0 });
    const res = await client.precreate({ outTradeNo: 'F-refused', totalFen: 1, subject: 'x' });
    assert.ok(res.kind === 'retryable', JSON.stringify(res));
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  alipayTimestamp,
  downloadBill,
  fetchTradeBill,
  lateRefundNo,
  readZip,
  undeliveredRefundNo,
} from '../../../app/alipay/index.ts';
import type { AlipayClient, BillRow } from '../../../app/alipay/index.ts';
import type { AlipaySim, LedgerEntry } from '../../../sim/alipay/index.ts';
import { makeClient, makeKeys, simGet, simPost, startSim } from './fixtures.ts';

const keys = makeKeys();
let sim: AlipaySim;
let client: AlipayClient;
const BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';

before(async () => {
  sim = await startSim(keys);
  client = makeClient(sim, keys);
});
after(async () => {
  await sim.close();
});

async function sell(outTradeNo: string, totalFen: number, pay = true): Promise<void> {
  const pre = await client.precreate({
    outTradeNo,
    totalFen,
    subject: `货道 ${outTradeNo}, 饮料`,
    storeId: 'S1',
    terminalId: 'K1',
  });
  assert.equal(pre.kind, 'success');
  const res = await simPost(sim, pay ? '/sim/pay' : '/sim/scan', { outTradeNo });
  assert.equal(res.status, 200);
}

async function refund(outTradeNo: string, refundFen: number, outRequestNo: string): Promise<void> {
  const outcome = await client.refund({ outTradeNo, refundFen, outRequestNo });
  assert.equal(outcome.kind, 'success');
}

function asLedger(row: BillRow): LedgerEntry {
  return row.kind === 'payment'
    ? {
        type: 'payment',
        outTradeNo: row.outTradeNo,
        tradeNo: row.tradeNo,
        fen: row.amountFen,
        at: row.finishedAt,
      }
    : {
        type: 'refund',
        outTradeNo: row.outTradeNo,
        tradeNo: row.tradeNo,
        fen: row.amountFen,
        outRequestNo: row.outRequestNo ?? '',
        at: row.finishedAt,
      };
}

describe('alipay sim: the trade bill', () => {
  test('a day of mixed sales parses back to exactly the ledger', async () => {
    await sell('BILL_paid', 350);
    await sell('BILL_partial', 1000);
    await refund('BILL_partial', 250, undeliveredRefundNo('BILL_partial'));
    await sell('BILL_full', 420);
    await refund('BILL_full', 420, undeliveredRefundNo('BILL_full'));
    await sell('BILL_twice', 990);
    await refund('BILL_twice', 100, 'BILL_twice_op1');
    await refund('BILL_twice', 890, 'BILL_twice_op2');
    await refund('BILL_twice', 890, 'BILL_twice_op2'); // a repeat moves no money and adds no row
    await sell('BILL_closed', 500, false);
    assert.equal((await client.close({ outTradeNo: 'BILL_closed' })).kind, 'success');
    assert.equal(
      (await client.precreate({ outTradeNo: 'BILL_never', totalFen: 5, subject: 'x' })).kind,
      'success',
    );
    assert.equal((await client.cancel({ outTradeNo: 'BILL_never' })).kind, 'success');
    await sell('BILL_cancelled', 300);
    assert.equal((await client.cancel({ outTradeNo: 'BILL_cancelled' })).kind, 'success'); // refunds the payment
    await sell('BILL_late', 777); // paid after the kiosk gave up on it: refunded whole
    await refund('BILL_late', 777, lateRefundNo('BILL_late'));

    const ledger = await simGet<{ payments: LedgerEntry[]; refunds: LedgerEntry[] }>(sim, '/sim/ledger');
    const expected = [...ledger.payments, ...ledger.refunds].filter((e) => e.outTradeNo.startsWith('BILL_'));
    assert.equal(expected.length, 12);
    // The sales may straddle midnight in Beijing: every day they touch is fetched.
    const days = [...new Set(expected.map((e) => e.at.slice(0, 10)))];
    const rows: BillRow[] = [];
    for (const day of days) {
      const outcome = await fetchTradeBill(client, day);
      assert.ok(outcome.kind === 'success', JSON.stringify(outcome));
      assert.equal(outcome.bill.account, '20880000000000010156');
      assert.equal(outcome.bill.start, `${day} 00:00:00`);
      rows.push(...outcome.bill.rows);
      assert.equal(
        outcome.bill.summary?.tradeCount,
        outcome.bill.rows.filter((r) => r.kind === 'payment').length,
      );
    }
    const billed = rows.filter((r) => r.outTradeNo.startsWith('BILL_'));
    const key = (e: LedgerEntry): string => JSON.stringify(e);
    assert.deepEqual(billed.map(asLedger).map(key).sort(), expected.map(key).sort());
    assert.ok(
      !billed.some((r) => r.outTradeNo === 'BILL_closed' || r.outTradeNo === 'BILL_never'),
      'no money, no row',
    );
    const cancelRefund = billed.find((r) => r.outTradeNo === 'BILL_cancelled' && r.kind === 'refund');
    assert.equal(cancelRefund?.amountFen, 300);
    const paid = billed.find((r) => r.outTradeNo === 'BILL_paid');
    assert.equal(paid?.subject, '货道 BILL_paid, 饮料');
    assert.equal(paid?.storeId, 'S1');
    assert.equal(paid?.terminalId, 'K1');
  });

  test('the archive holds the two GBK-named files Alipay serves', async () => {
    const link = await client.billDownloadUrl({ billType: 'trade', billDate: '2026-01-02' });
    assert.ok(link.kind === 'success');
    assert.match(link.value.billDownloadUrl, /downloadFileName=20880000000000010156_20260102\.csv\.zip/);
    const names = readZip(await downloadBill(link.value.billDownloadUrl)).map((e) => e.name);
    assert.deepEqual(names, [
      '20880000000000010156_20260102_业务明细.csv',
      '20880000000000010156_20260102_业务明细(汇总).csv',
    ]);
  });

  test('faults: not ready yet, an expired link, a truncated archive, a future day, a forged answer', async () => {
    const today = alipayTimestamp(new Date()).slice(0, 10);
    await simPost(sim, '/sim/faults', { billNotReadyNext: 1 });
    assert.deepEqual(await fetchTradeBill(client, today), { kind: 'not_ready' });
    await simPost(sim, '/sim/faults', { billUrlExpiredNext: 1 });
    const expired = await fetchTradeBill(client, today);
    assert.ok(expired.kind === 'download_failed');
    assert.match(expired.detail, /not a zip \(expired link\?\)/);
    await simPost(sim, '/sim/faults', { billTruncatedNext: 1 });
    const truncated = await fetchTradeBill(client, today);
    assert.ok(truncated.kind === 'malformed');
    assert.match(truncated.detail, /^zip: /);
    assert.deepEqual(await fetchTradeBill(client, '2999-01-01'), { kind: 'not_ready' });
    assert.equal((await fetchTradeBill(client, today)).kind, 'success', 'each fault was used up');

    await simPost(sim, '/sim/faults', { tamperSignatureNext: 1, methods: [BILL_METHOD] });
    const forged = await makeClient(sim, keys, { retries: 0 }).billDownloadUrl({
      billType: 'trade',
      billDate: today,
    });
    assert.deepEqual(forged, { kind: 'unknown', detail: 'response signature invalid' });
    await simPost(sim, '/sim/faults', { reset: true });

    await assert.rejects(client.billDownloadUrl({ billType: 'trade', billDate: '2026-02-30' }), /yyyy-MM-dd/);
  });
});

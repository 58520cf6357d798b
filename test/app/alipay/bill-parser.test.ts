import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeGbk,
  isAlipayError,
  parseBillDetail,
  parseBillSummary,
  parseTradeBillZip,
} from '../../../app/alipay/index.ts';
import { encodeGbk } from '../../../sim/alipay/gbk-encode.ts';
import { writeZip } from '../../../sim/alipay/zip-writer.ts';
import { PUBLIC_LAYOUT_DETAIL, PUBLIC_LAYOUT_SUMMARY } from './fixtures/public-bill-sample.ts';

function archive(detail: string, summary: string | null = PUBLIC_LAYOUT_SUMMARY): Buffer {
  const base = '20880211096256330156_20190916';
  return writeZip([
    { name: encodeGbk(`${base}_业务明细.csv`), data: encodeGbk(detail) },
    ...(summary === null
      ? []
      : [{ name: encodeGbk(`${base}_业务明细(汇总).csv`), data: encodeGbk(summary) }]),
  ]);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(isAlipayError(err), String(err));
    assert.equal(err.code, 'malformed_bill');
    return err.message;
  }
  return assert.fail('accepted');
}

describe('trade bill parser', () => {
  test('a bill on the public layout, GBK in a zip, parses to exact fen rows', () => {
    const bill = parseTradeBillZip(archive(PUBLIC_LAYOUT_DETAIL));
    assert.equal(bill.account, '20880211096256330156');
    assert.equal(bill.start, '2019-09-16 00:00:00');
    assert.equal(bill.end, '2019-09-17 00:00:00');
    assert.deepEqual(
      bill.rows.map((r) => [r.kind, r.outTradeNo, r.amountFen, r.receiptFen, r.outRequestNo, r.finishedAt]),
      [
        ['payment', 'K7_20190916025516_a1b2c3d4e5', 7, 7, null, '2019-09-16 10:55:23'],
        [
          'refund',
          'K7_20190916025516_a1b2c3d4e5',
          7,
          7,
          'K7_20190916025516_a1b2c3d4e5_RL',
          '2019-09-16 10:56:48',
        ],
        ['payment', 'K7_20190916030703_f6a7b8c9d0', 1230, 1230, null, '2019-09-16 11:07:09'],
        [
          'refund',
          'K7_20190916030703_f6a7b8c9d0',
          615,
          615,
          'K7_20190916030703_f6a7b8c9d0_R1',
          '2019-09-16 11:26:55',
        ],
        ['payment', 'K9_20190916085856_0011223344', 29, 29, null, '2019-09-16 16:58:58'],
        ['payment', 'K7_20190916104306_5566778899', 115, 115, null, '2019-09-16 18:43:34'],
      ],
    );
    const first = bill.rows[0];
    assert.equal(first?.tradeNo, '2019091622001458860500000001', 'trailing tab removed');
    assert.equal(first?.subject, '矿泉水');
    assert.equal(first?.storeId, 'alipay_store');
    assert.equal(first?.createdAt, '2019-09-16 10:55:16');
    assert.equal(bill.rows[2]?.serviceFee, '-0.07');
    assert.deepEqual(bill.summary, {
      tradeCount: 4,
      refundCount: 2,
      orderAmount: '7.59',
      receiptAmount: '7.59',
    });
  });

  test('the summary file is optional; CRLF line ends are read the same', () => {
    const crlf = PUBLIC_LAYOUT_DETAIL.replace(/\n/g, '\r\n');
    const bill = parseTradeBillZip(archive(crlf, null));
    assert.equal(bill.rows.length, 6);
    assert.equal(bill.summary, null);
  });

  test('a file that lost rows, its end marker, or its sense is refused with the line at fault', () => {
    const lines = PUBLIC_LAYOUT_DETAIL.split('\n');
    const withoutRow = [...lines.slice(0, 7), ...lines.slice(8)].join('\n');
    assert.match(
      refusal(() => parseBillDetail(withoutRow)),
      /交易合计 says 4 rows .* the table has 3 rows/,
    );
    const cut = PUBLIC_LAYOUT_DETAIL.slice(
      0,
      PUBLIC_LAYOUT_DETAIL.indexOf('#---------------------------------------' + '--业务明细列表结束'),
    );
    assert.match(
      refusal(() => parseBillDetail(cut)),
      /no end of 业务明细列表 \(the file is truncated\)/,
    );
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_DETAIL.replace(',0.29,0.29,', ',0.29,-0.29,'))),
      /line 10: a 交易 row with an amount of the wrong sign/,
    );
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_DETAIL.replace(',0.29,0.29,', ',0.295,0.29,'))),
      /line 10 订单金额: not an amount/,
    );
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_DETAIL.replace('咖啡,2019', '咖啡,extra,2019'))),
      /line 10: 26 cells, the header has 25/,
    );
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_DETAIL.replace('交易\t,咖啡', '结算\t,咖啡'))),
      /unknown 业务类型 "结算"/,
    );
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_DETAIL.replace('2019-09-16 16:58:58', '16:58'))),
      /完成时间 is not a time/,
    );
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_SUMMARY)),
      /expected a file starting with #支付宝业务明细查询/,
    );
    assert.match(
      refusal(() => parseBillSummary(PUBLIC_LAYOUT_SUMMARY.replace('合计,,4', '小计,,4'))),
      /no 合计 row/,
    );
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_DETAIL.replace('退款批次号/请求号', '请求号'))),
      /no 退款批次号\/请求号 column/,
    );
    assert.match(
      refusal(() => parseTradeBillZip(archive(PUBLIC_LAYOUT_SUMMARY, null))),
      /no #支付宝业务明细查询 file/,
    );
  });

  test('a subject with a comma or quote arrives whole when quoted', () => {
    const text = PUBLIC_LAYOUT_DETAIL.replace(',饼干,2019', ',"饼干, ""大""",2019');
    const row = parseBillDetail(text).rows.at(-1);
    assert.equal(row?.subject, '饼干, "大"');
    assert.match(
      refusal(() => parseBillDetail(PUBLIC_LAYOUT_DETAIL.replace(',饼干,2019', ',"饼干,2019'))),
      /unterminated quoted cell/,
    );
  });

  test('GBK is decoded strictly: an invalid byte sequence is an error, not a replacement character', () => {
    assert.equal(decodeGbk(encodeGbk('业务明细 ABC')), '业务明细 ABC');
    assert.match(
      refusal(() => decodeGbk(Uint8Array.of(0x81, 0x20))),
      /not valid GBK/,
    );
  });
});

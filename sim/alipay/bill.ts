import { fenToYuan } from '../../app/alipay/index.ts';
import { encodeGbk } from './gbk-encode.ts';
import type { LedgerEntry, SimTrade } from './trades.ts';
import { writeZip } from './zip-writer.ts';

// The simulated trade bill: the same archive Alipay builds (docs/alipay.md "The trade bill"), made from the
// sim's ledger. One 交易 row per payment completed that day, one 退款 row per refund, unpaid closes absent
// (no money moved). Amounts come from the ledger in fen and are written as yuan with two decimals.

export type BillInput = {
  /** The merchant account as the bill shows it (`<seller id>0156`). */
  account: string;
  /** `yyyy-MM-dd`, a Beijing-time day. */
  date: string;
  ledger: readonly LedgerEntry[];
  trades: ReadonlyMap<string, SimTrade>;
  /** `yyyy-MM-dd HH:mm:ss` when the file was "exported". */
  exportedAt: string;
};

const DETAIL_HEADER =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,' +
  '商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,' +
  '卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';
const SUMMARY_HEADER =
  '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,' +
  '服务费（元）,分润（元）,实收净额（元）';
const DASHES = '-'.repeat(41);

/** Amount with a sign, two decimals, from signed fen. */
function yuan(fen: number): string {
  return fen < 0 ? `-${fenToYuan(-fen)}` : fenToYuan(fen);
}

/** A cell that would break the CSV is quoted, as any CSV writer does. */
function cell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function chineseStamp(stamp: string): string {
  const [day = '', time = ''] = stamp.split(' ');
  const [y, m, d] = day.split('-');
  return `${y}年${m}月${d}日 ${time}`;
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

type Row = { entry: LedgerEntry; trade: SimTrade | undefined; signedFen: number };

/** Title, account, period and start marker: the same four lines open both files. */
function opening(input: BillInput, kind: '明细' | '汇总'): string[] {
  return [
    `#支付宝业务${kind}查询`,
    `#账号：[${input.account}]`,
    `#起始日期：[${chineseStamp(`${input.date} 00:00:00`)}]   终止日期：[${chineseStamp(`${nextDay(input.date)} 00:00:00`)}]`,
    `#${DASHES}业务${kind}列表${'-'.repeat(40)}`,
  ];
}

function detailText(input: BillInput, rows: Row[]): string {
  const lines = [...opening(input, '明细'), DETAIL_HEADER];
  for (const { entry, trade, signedFen } of rows) {
    const amount = yuan(signedFen);
    lines.push(
      [
        `${entry.tradeNo}\t`,
        `${entry.outTradeNo}\t`,
        `${entry.type === 'payment' ? '交易' : '退款'}\t`,
        cell(trade?.subject ?? ''),
        trade?.gmtCreate ?? entry.at,
        entry.at,
        `${trade?.storeId ?? ''}\t`,
        `${trade?.storeId ?? ''}\t`,
        '\t',
        `${trade?.terminalId ?? ''}\t`,
        'buy***@sim.example\t',
        amount,
        amount,
        '0.00',
        '0.00',
        '0.00',
        '0.00',
        '0.00',
        '',
        '0.00\t',
        '0.00',
        `${entry.type === 'refund' ? entry.outRequestNo : ''}\t`,
        '0.00',
        '0.00',
        '',
      ].join(','),
    );
  }
  const payments = rows.filter((r) => r.entry.type === 'payment');
  const refunds = rows.filter((r) => r.entry.type === 'refund');
  const sum = (list: Row[]): number => list.reduce((total, r) => total + r.signedFen, 0);
  lines.push(
    `#${DASHES}业务明细列表结束${'-'.repeat(36)}`,
    `#交易合计：${payments.length}笔，商家实收共${yuan(sum(payments))}元，商家优惠共0.00元`,
    `#退款合计：${refunds.length}笔，商家实收退款共${yuan(sum(refunds))}元，商家优惠退款共0.00元`,
    `#导出时间：[${chineseStamp(input.exportedAt)}]`,
  );
  return lines.join('\r\n') + '\r\n';
}

function summaryText(input: BillInput, rows: Row[]): string {
  const stores = new Map<string, Row[]>();
  for (const row of rows) {
    const store = row.trade?.storeId ?? '';
    stores.set(store, [...(stores.get(store) ?? []), row]);
  }
  const line = (first: string, second: string, list: Row[]): string => {
    const net = yuan(list.reduce((total, r) => total + r.signedFen, 0));
    const count = (type: LedgerEntry['type']): number => list.filter((r) => r.entry.type === type).length;
    return [
      first,
      second,
      count('payment'),
      count('refund'),
      net,
      net,
      '0.00',
      '0.00',
      '0.00',
      '0.00',
      '0.00',
      net,
    ].join(',');
  };
  const lines = [
    ...opening(input, '汇总'),
    SUMMARY_HEADER,
    ...[...stores].map(([store, list]) => line(`${store}\t`, `${store}\t`, list)),
    line('合计', '', rows),
    `#${'-'.repeat(40)}业务汇总列表结束${'-'.repeat(37)}`,
    `#导出时间：[${chineseStamp(input.exportedAt)}]`,
  ];
  return lines.join('\r\n') + '\r\n';
}

/** The archive Alipay would serve for that day: GBK CSVs with GBK names, deflated. */
export function buildTradeBill(input: BillInput): { fileName: string; zip: Buffer } {
  const rows: Row[] = input.ledger
    .filter((entry) => entry.at.startsWith(`${input.date} `))
    .map((entry) => ({
      entry,
      trade: input.trades.get(entry.outTradeNo),
      signedFen: entry.type === 'payment' ? entry.fen : -entry.fen,
    }));
  const base = `${input.account}_${input.date.replace(/-/g, '')}`;
  const zip = writeZip([
    { name: encodeGbk(`${base}_业务明细.csv`), data: encodeGbk(detailText(input, rows)) },
    { name: encodeGbk(`${base}_业务明细(汇总).csv`), data: encodeGbk(summaryText(input, rows)) },
  ]);
  return { fileName: `${base}.csv.zip`, zip };
}

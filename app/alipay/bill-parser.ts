import { parseCsv } from './csv.ts';
import { AlipayError } from './errors.ts';
import { decodeGbk } from './gbk.ts';
import { yuanToFen } from './money.ts';
import { parseAlipayTimestamp } from './timestamp.ts';
import { readZip } from './zip.ts';
import type { ZipLimits } from './zip.ts';

// Alipay's daily trade bill (bill_type=trade): a zip holding two GBK CSV files, `<account>_<yyyyMMdd>_业务明细.csv`
// (one row per payment and one per refund) and `…_业务明细(汇总).csv` (totals per store). Both frame their table
// with `#` lines: a title, the account, the period, a start marker, then the header row and the rows, an end
// marker and totals. Cells carry a trailing tab (so spreadsheets keep long numbers as text). Layout and sources:
// docs/alipay.md "The trade bill".

export type BillRow = {
  /** Line in the detail file, for messages. */
  line: number;
  kind: 'payment' | 'refund';
  tradeNo: string;
  outTradeNo: string;
  subject: string;
  /** `yyyy-MM-dd HH:mm:ss` Beijing time: when the trade was created. */
  createdAt: string;
  /** When the payment (kind payment) or the refund (kind refund) completed. */
  finishedAt: string;
  /** 订单金额: what was paid, or refunded, as a positive number of fen. */
  amountFen: number;
  /** 商家实收: what the merchant received (or gave back), positive fen. */
  receiptFen: number;
  /** 退款批次号/请求号: the refund's out_request_no (refunds only; null when Alipay left it blank). */
  outRequestNo: string | null;
  storeId: string;
  terminalId: string;
  /** 服务费 as Alipay wrote it (fees may carry more than two decimals, so they are not turned into fen). */
  serviceFee: string;
};

export type BillSummary = {
  /** The 合计 row: 交易订单总笔数, 退款订单总笔数, 订单金额, 商家实收 (amounts as written). */
  tradeCount: number;
  refundCount: number;
  orderAmount: string;
  receiptAmount: string;
};

export type TradeBill = {
  /** The merchant account the bill belongs to (`#账号：[…]`). */
  account: string;
  /** Period covered, `yyyy-MM-dd HH:mm:ss` Beijing time: [start, end). */
  start: string;
  end: string;
  rows: BillRow[];
  summary: BillSummary | null;
};

const DETAIL_TITLE = '#支付宝业务明细查询';
const SUMMARY_TITLE = '#支付宝业务汇总查询';
const REQUIRED_DETAIL = {
  tradeNo: '支付宝交易号',
  outTradeNo: '商户订单号',
  kind: '业务类型',
  createdAt: '创建时间',
  finishedAt: '完成时间',
  amount: '订单金额（元）',
  receipt: '商家实收（元）',
  outRequestNo: '退款批次号/请求号',
} as const;
const OPTIONAL_DETAIL = {
  subject: '商品名称',
  storeId: '门店编号',
  terminalId: '终端号',
  serviceFee: '服务费（元）',
} as const;

function fail(message: string): never {
  throw new AlipayError('malformed_bill', message);
}

/** Cell as meant: without the tab Alipay appends, surrounding blanks, or a leading backquote (older files). */
function clean(cell: string): string {
  return cell.trim().replace(/^`/, '').trim();
}

const SIGNED_YUAN = /^(-?)(\d+(?:\.\d{1,2})?)$/;

/** "-0.01" → -1. Integer fen through the digits only. */
function signedFen(text: string, where: string): number {
  const m = SIGNED_YUAN.exec(text);
  if (!m) fail(`${where}: not an amount: ${JSON.stringify(text.slice(0, 40))}`);
  const fen = yuanToFen(m[2] ?? '');
  return m[1] === '-' ? -fen : fen;
}

/** `2019年09月16日 00:00:00` → `2019-09-16 00:00:00`. */
function chineseStamp(text: string): string | null {
  const m = /^(\d{4})年(\d{2})月(\d{2})日 (\d{2}:\d{2}:\d{2})$/.exec(text.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}` : null;
}

type Framed = {
  comments: Array<{ line: number; text: string }>;
  header: string[];
  rows: Array<{ line: number; cells: string[] }>;
};

/** Finds the table between `#…<marker>…` and `#…<marker>结束…`; every other `#` line is kept as a comment. */
function frame(text: string, title: string, marker: string): Framed {
  const records = parseCsv(text.replace(/^\uFEFF/, ''));
  const first = records[0]?.cells.join(',').trim();
  if (first !== title)
    fail(`expected a file starting with ${title}, found ${JSON.stringify(first?.slice(0, 40))}`);
  const comments: Framed['comments'] = [];
  let header: string[] | null = null;
  const rows: Framed['rows'] = [];
  let state: 'before' | 'header' | 'rows' | 'after' = 'before';
  for (const record of records) {
    const joined = record.cells.join(',');
    if (joined.trim() === '') continue;
    if (joined.startsWith('#')) {
      comments.push({ line: record.line, text: joined });
      if (joined.includes(`${marker}结束`)) {
        if (state !== 'rows') fail(`line ${record.line}: end of ${marker} before its header`);
        state = 'after';
      } else if (joined.includes(marker)) {
        if (state !== 'before') fail(`line ${record.line}: a second ${marker}`);
        state = 'header';
      }
      continue;
    }
    if (state === 'header') {
      header = record.cells.map(clean);
      state = 'rows';
    } else if (state === 'rows') {
      if (record.cells.length !== header?.length) {
        fail(`line ${record.line}: ${record.cells.length} cells, the header has ${header?.length ?? 0}`);
      }
      rows.push({ line: record.line, cells: record.cells.map(clean) });
    } else {
      fail(`line ${record.line}: data outside the ${marker}`);
    }
  }
  if (state !== 'after' || header === null) fail(`no end of ${marker} (the file is truncated)`);
  return { comments, header, rows };
}

function columns<T extends Record<string, string>>(
  header: string[],
  wanted: T,
  required: boolean,
): { [K in keyof T]: number } {
  const found = {} as { [K in keyof T]: number };
  for (const key of Object.keys(wanted) as Array<keyof T>) {
    const index = header.indexOf(wanted[key] as string);
    if (index < 0 && required) fail(`the header has no ${wanted[key]} column`);
    found[key] = index;
  }
  return found;
}

/** Parses the decoded text of `…_业务明细.csv`. */
export function parseBillDetail(text: string): Omit<TradeBill, 'summary'> {
  const { comments, header, rows } = frame(text, DETAIL_TITLE, '业务明细列表');
  const account = /^#账号：\[(\d+)\]/.exec(comments.find((c) => c.text.startsWith('#账号'))?.text ?? '')?.[1];
  if (!account) fail('no #账号 line');
  const period = /起始日期：\[([^\]]+)\]\s*终止日期：\[([^\]]+)\]/.exec(
    comments.find((c) => c.text.startsWith('#起始日期'))?.text ?? '',
  );
  const start = chineseStamp(period?.[1] ?? '');
  const end = chineseStamp(period?.[2] ?? '');
  if (!start || !end) fail('no readable #起始日期 … 终止日期 line');

  const col = columns(header, REQUIRED_DETAIL, true);
  const opt = columns(header, OPTIONAL_DETAIL, false);
  const parsed = rows.map(({ line, cells }) => {
    const at = (i: number): string => (i < 0 ? '' : (cells[i] ?? ''));
    const where = `line ${line}`;
    const type = at(col.kind);
    if (type !== '交易' && type !== '退款')
      fail(`${where}: unknown 业务类型 ${JSON.stringify(type.slice(0, 20))}`);
    const kind = type === '交易' ? 'payment' : 'refund';
    const sign = kind === 'payment' ? 1 : -1;
    const amount = signedFen(at(col.amount), `${where} 订单金额`) * sign;
    const receipt = signedFen(at(col.receipt), `${where} 商家实收`) * sign;
    if (amount < 0 || receipt < 0) fail(`${where}: a ${type} row with an amount of the wrong sign`);
    const tradeNo = at(col.tradeNo);
    const outTradeNo = at(col.outTradeNo);
    if (!tradeNo || !outTradeNo) fail(`${where}: 支付宝交易号 and 商户订单号 are required`);
    for (const key of ['createdAt', 'finishedAt'] as const) {
      if (parseAlipayTimestamp(at(col[key])) === null)
        fail(`${where}: ${REQUIRED_DETAIL[key]} is not a time`);
    }
    const row: BillRow = {
      line,
      kind,
      tradeNo,
      outTradeNo,
      subject: at(opt.subject),
      createdAt: at(col.createdAt),
      finishedAt: at(col.finishedAt),
      amountFen: amount,
      receiptFen: receipt,
      outRequestNo: kind === 'refund' && at(col.outRequestNo) !== '' ? at(col.outRequestNo) : null,
      storeId: at(opt.storeId),
      terminalId: at(opt.terminalId),
      serviceFee: at(opt.serviceFee),
    };
    return row;
  });
  checkTrailer(comments, parsed);
  return { account, start, end, rows: parsed };
}

/**
 * The lines after the table state how many payments and refunds it holds and what the merchant received
 * (`#交易合计：6笔，商家实收共0.06元…`, `#退款合计：4笔，商家实收退款共-0.04元…`): a file that lost rows is caught here.
 */
function checkTrailer(comments: Framed['comments'], rows: BillRow[]): void {
  for (const [label, kind] of [
    ['交易合计', 'payment'],
    ['退款合计', 'refund'],
  ] as const) {
    const line = comments.find((c) => c.text.startsWith(`#${label}`));
    if (!line) continue;
    const m = new RegExp(`^#${label}：(\\d+)笔，[^共]*共(-?[\\d.]+)元`).exec(line.text);
    if (!m) fail(`line ${line.line}: unreadable ${label}`);
    const mine = rows.filter((r) => r.kind === kind);
    const receipt = mine.reduce((sum, r) => sum + r.receiptFen, 0);
    const statedReceipt = Math.abs(signedFen(m[2] ?? '', `line ${line.line}`));
    if (Number(m[1]) !== mine.length || statedReceipt !== receipt) {
      fail(
        `${label} says ${m[1]} rows / ${m[2]} yuan, the table has ${mine.length} rows / ${receipt} fen (rows lost?)`,
      );
    }
  }
}

/** Parses the decoded text of `…_业务明细(汇总).csv` down to its 合计 row. */
export function parseBillSummary(text: string): BillSummary {
  const { header, rows } = frame(text, SUMMARY_TITLE, '业务汇总列表');
  const col = columns(
    header,
    {
      tradeCount: '交易订单总笔数',
      refundCount: '退款订单总笔数',
      order: '订单金额（元）',
      receipt: '商家实收（元）',
    },
    true,
  );
  const total = rows.find((r) => r.cells[0] === '合计');
  if (!total) fail('the summary has no 合计 row');
  const count = (i: number): number => {
    const text = total.cells[i] ?? '';
    if (!/^\d{1,9}$/.test(text))
      fail(`line ${total.line}: not a count: ${JSON.stringify(text.slice(0, 20))}`);
    return Number(text);
  };
  return {
    tradeCount: count(col.tradeCount),
    refundCount: count(col.refundCount),
    orderAmount: total.cells[col.order] ?? '',
    receiptAmount: total.cells[col.receipt] ?? '',
  };
}

/** Opens the bill archive: the detail file is required, the summary optional, other entries ignored. */
export function parseTradeBillZip(zip: Uint8Array, limits?: ZipLimits): TradeBill {
  let detail: Omit<TradeBill, 'summary'> | null = null;
  let summary: BillSummary | null = null;
  for (const entry of readZip(zip, limits)) {
    const text = decodeGbk(entry.data);
    try {
      if (text.replace(/^\uFEFF/, '').startsWith(DETAIL_TITLE)) {
        if (detail) fail('two detail files');
        detail = parseBillDetail(text);
      } else if (text.replace(/^\uFEFF/, '').startsWith(SUMMARY_TITLE)) {
        summary = parseBillSummary(text);
      }
    } catch (err) {
      if (err instanceof AlipayError)
        throw new AlipayError('malformed_bill', `${entry.name}: ${err.message}`);
      throw err;
    }
  }
  if (!detail) fail(`the archive has no ${DETAIL_TITLE} file`);
  return { ...detail, summary };
}

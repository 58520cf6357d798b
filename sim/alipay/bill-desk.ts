import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { alipayTimestamp } from '../../app/alipay/index.ts';
import { buildTradeBill } from './bill.ts';
import type { Faults } from './faults.ts';
import type { TradeBook } from './trades.ts';

// alipay.data.dataservice.bill.downloadurl.query and the file server behind its links. A link is valid for
// 30 s of real time (not scaled: a test must not race it) and serves the archive built when the link was
// issued. Faults (POST /sim/faults): billNotReadyNext answers isp.bill_not_exist, billUrlExpiredNext hands
// out links that are already dead, billTruncatedNext serves half an archive.

export const BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';
export const BILL_PATH = '/dwbillcenter/downloadBillFile.resource';
const LINK_LIFETIME_MS = 30_000;

type Link = { zip: Buffer; fileName: string; expiresAtMs: number };
type Node = Record<string, string>;

export class BillDesk {
  readonly #links = new Map<string, Link>();

  constructor(
    private readonly book: TradeBook,
    private readonly account: string,
    private readonly baseUrl: () => string,
    private readonly faults: () => Faults,
    private readonly setFaults: (next: Faults) => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The gateway method: a signed answer with a link, or a business failure. */
  answer(billType: string | undefined, billDate: string | undefined): Node {
    if (billType !== 'trade') return failure('isv.invalid-arguments', '参数无效：bill_type');
    if (!billDate || !/^\d{4}-\d{2}-\d{2}$/.test(billDate) || Number.isNaN(Date.parse(billDate))) {
      return failure('isv.invalid-arguments', '参数无效：bill_date');
    }
    // Alipay builds a day's file after the day; the sim serves today too (tests cannot wait a day), never later.
    const today = alipayTimestamp(new Date(this.nowMs())).slice(0, 10);
    if (billDate > today || this.#take('billNotReadyNext'))
      return failure('isp.bill_not_exist', '账单不存在');
    const expired = this.#take('billUrlExpiredNext');
    const truncated = this.#take('billTruncatedNext');
    const { zip, fileName } = buildTradeBill({
      account: this.account,
      date: billDate,
      ledger: this.book.ledger,
      trades: this.book.byOutTradeNo,
      exportedAt: this.book.stamp(),
    });
    for (const [token, link] of this.#links) if (link.expiresAtMs <= this.nowMs()) this.#links.delete(token);
    const token = randomBytes(16).toString('hex');
    this.#links.set(token, {
      zip: truncated ? zip.subarray(0, Math.floor(zip.length / 2)) : zip,
      fileName,
      expiresAtMs: expired ? this.nowMs() : this.nowMs() + LINK_LIFETIME_MS,
    });
    const query = new URLSearchParams({
      bizType: 'trade',
      userId: this.account.slice(0, 16),
      fileType: 'csv.zip',
      bizDates: billDate.replace(/-/g, ''),
      downloadFileName: fileName,
      fileId: `/trade/${this.account.slice(0, 16)}/${billDate.replace(/-/g, '')}`,
      timestamp: String(this.nowMs()),
      token,
    });
    return { code: '10000', msg: 'Success', bill_download_url: `${this.baseUrl()}${BILL_PATH}?${query}` };
  }

  /** GET on a link: the archive, or (unknown or expired token) a small HTML error page with status 200. */
  serve(url: URL, res: ServerResponse): void {
    const link = this.#links.get(url.searchParams.get('token') ?? '');
    if (!link || link.expiresAtMs <= this.nowMs()) {
      res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
      res.end('<html><body>链接已失效 (the download link has expired)</body></html>');
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${encodeURIComponent(link.fileName)}"`,
      'content-length': String(link.zip.length),
    });
    res.end(link.zip);
  }

  #take(key: 'billNotReadyNext' | 'billUrlExpiredNext' | 'billTruncatedNext'): boolean {
    const faults = this.faults();
    if (faults[key] <= 0) return false;
    this.setFaults({ ...faults, [key]: faults[key] - 1 });
    return true;
  }
}

function failure(subCode: string, subMsg: string): Node {
  return { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg };
}

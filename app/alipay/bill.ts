import type { AlipayClient } from './client.ts';
import { downloadBill } from './bill-download.ts';
import type { BillDownloadOptions } from './bill-download.ts';
import { parseTradeBillZip } from './bill-parser.ts';
import type { TradeBill } from './bill-parser.ts';
import { isAlipayError } from './errors.ts';
import type { ZipLimits } from './zip.ts';

// One day's trade bill, end to end: ask the gateway for the link, download the archive, parse it, and check
// that it covers the day that was asked for. Every way this can end is a kind the caller can act on.
export type TradeBillOutcome =
  | { kind: 'success'; bill: TradeBill }
  /** isp.bill_not_exist: the day is not over, or Alipay has not built the file yet (usually by 09:00 next day). */
  | { kind: 'not_ready' }
  | { kind: 'business_failure'; code: string; subCode: string; subMsg: string }
  /** The gateway call had no answer one can trust; ask again later. */
  | { kind: 'retryable' | 'unknown'; detail: string }
  /** The link expired, the file was too large or did not come: ask for a new link. */
  | { kind: 'download_failed'; detail: string }
  /** Bytes arrived but are not a readable bill (truncated zip, unknown layout, wrong day). */
  | { kind: 'malformed'; detail: string };

export const BILL_NOT_EXIST = 'isp.bill_not_exist';

export async function fetchTradeBill(
  client: AlipayClient,
  billDate: string,
  options: BillDownloadOptions & { limits?: ZipLimits } = {},
): Promise<TradeBillOutcome> {
  const link = await client.billDownloadUrl({ billType: 'trade', billDate });
  if (link.kind === 'business_failure') {
    return link.subCode === BILL_NOT_EXIST ? { kind: 'not_ready' } : link;
  }
  if (link.kind !== 'success') return link;
  let zip: Buffer;
  try {
    zip = await downloadBill(link.value.billDownloadUrl, options);
  } catch (err) {
    if (isAlipayError(err)) return { kind: 'download_failed', detail: err.message };
    throw err;
  }
  try {
    const bill = parseTradeBillZip(zip, options.limits);
    if (!bill.start.startsWith(billDate)) {
      return {
        kind: 'malformed',
        detail: `asked for ${billDate}, the bill covers ${bill.start} to ${bill.end}`,
      };
    }
    return { kind: 'success', bill };
  } catch (err) {
    if (isAlipayError(err)) return { kind: 'malformed', detail: err.message };
    throw err;
  }
}

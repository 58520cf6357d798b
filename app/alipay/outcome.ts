/**
 * Every gateway call ends in exactly one of these. The kiosk acts on `kind`:
 * - success: verified (signed by Alipay) code 10000, fields parsed from the signed bytes;
 * - business_failure: verified non-10000 answer (ACQ.TRADE_NOT_EXIST, ACQ.TRADE_HAS_SUCCESS, ...);
 * - retryable: the request certainly had no effect (never reached the gateway, rate-limited) — retry later;
 * - unknown: it may or may not have been applied (timeout, dropped connection, 20000, ACQ.SYSTEM_ERROR,
 *   unsigned/garbled/forged response) — query before deciding anything.
 */
export type AlipayOutcome<T> =
  | { kind: 'success'; value: T }
  | { kind: 'business_failure'; code: string; subCode: string; subMsg: string }
  | { kind: 'retryable'; detail: string }
  | { kind: 'unknown'; detail: string };

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';

export type PrecreateInput = {
  outTradeNo: string;
  totalFen: number;
  subject: string;
  notifyUrl?: string;
  /** e.g. "5m", "2h" (Alipay relative expiry, 1m–15d). */
  timeoutExpress?: string;
  storeId?: string;
  terminalId?: string;
};
export type PrecreateResult = { qrCode: string; outTradeNo: string };

export type QueryResult = { tradeStatus: TradeStatus; tradeNo: string; totalFen: number };
export type CancelResult = { action: 'close' | 'refund' | null; retryFlag: 'Y' | 'N' };
export type CloseResult = { tradeNo: string | null };
export type RefundInput = { outTradeNo: string; refundFen: number; outRequestNo: string; reason?: string };
/** fundChange: money moved by THIS call (false on an idempotent repeat); refundFeeFen: cumulative refunded. */
export type RefundResult = { fundChange: boolean; refundFeeFen: number };
export type RefundQueryResult = { refundStatus: 'REFUND_SUCCESS' | null; refundFen: number | null };
/** alipay.data.dataservice.bill.downloadurl.query: the merchant's trade bill of one Beijing-time day. */
export type BillDownloadUrlInput = { billType: 'trade'; billDate: string };
/** The archive's address; valid for about 30 s after the answer. */
export type BillDownloadUrlResult = { billDownloadUrl: string };

import type { KeyObject } from 'node:crypto';
import { AlipayError } from './errors.ts';
import { yuanToFen } from './money.ts';
import { buildSignContent, verifyContent } from './sign.ts';

/**
 * Form-decodes a notify body exactly once (URLSearchParams semantics: `+` → space, `%XX` → UTF-8).
 * Decoding twice corrupts `+`/`%` in subjects and passback_params (research/alipay.md §8.3).
 *
 * The one notion of "what was signed", shared by relay and kiosk:
 * - A repeated key is refused: Alipay never sends one, and "which one was signed" must not be a guess.
 * - An empty value is dropped here, so it is the same as an absent parameter everywhere: Alipay's signed
 *   string leaves empty values out, so `&gmt_refund=` appended to a real payment would still verify and must
 *   not turn it into a refund (classification), another kiosk (routing) or another notification (dedupe).
 * - A leading byte-order mark is refused: Alipay never sends one, and a BOM-prefixed copy of a body would
 *   be a second spelling of the same signed notification.
 */
export function parseNotifyBody(raw: string): Record<string, string> {
  if (typeof raw !== 'string') throw new AlipayError('invalid_notify', 'notify body must be a string');
  if (raw.startsWith('\uFEFF')) throw new AlipayError('invalid_notify', 'notify body starts with a BOM');
  const seen = new Map<string, string>();
  const keys = new Set<string>();
  for (const [key, value] of new URLSearchParams(raw)) {
    if (keys.has(key)) {
      throw new AlipayError(
        'duplicate_param',
        `notify repeats parameter ${JSON.stringify(key.slice(0, 64))}`,
      );
    }
    keys.add(key);
    if (value !== '') seen.set(key, value);
  }
  // fromEntries defines own properties, so a `__proto__` key stays data and cannot touch the prototype.
  return Object.fromEntries(seen);
}

/** Trade notifies (trade_status_sync): `sign` and `sign_type` are both left out of the signed string. */
export function notifySignContent(params: Readonly<Record<string, string>>): string {
  return buildSignContent(params, ['sign_type']);
}

/**
 * True only for a notify signed with RSA2 (SHA256withRSA) by this key. `sign_type` is outside the signed
 * string, so it is checked here: a notify claiming `RSA` (SHA1) or nothing at all is refused, never guessed.
 * Pass the output of parseNotifyBody (empty values already dropped).
 */
export function verifyNotify(params: Readonly<Record<string, string>>, alipayPublicKey: KeyObject): boolean {
  const sign = params.sign;
  if (typeof sign !== 'string' || sign === '') return false;
  if (params.sign_type !== 'RSA2') return false;
  return verifyContent(notifySignContent(params), sign, alipayPublicKey);
}

export type NotifyClass =
  | {
      kind: 'payment';
      outTradeNo: string;
      tradeNo: string;
      totalFen: number;
      tradeStatus: 'TRADE_SUCCESS' | 'TRADE_FINISHED';
      appId: string;
      sellerId?: string;
    }
  | {
      kind: 'refund';
      outTradeNo: string;
      tradeNo: string;
      refundFeeFen: number;
      outBizNo?: string;
      gmtRefund?: string;
    }
  | { kind: 'closed'; outTradeNo: string; tradeNo: string }
  | { kind: 'pending'; outTradeNo: string }
  | { kind: 'other'; reason: string };

/**
 * The parameters as signed: an empty value is the same as an absent one (Alipay's signed string leaves it
 * out), whether or not the caller went through parseNotifyBody.
 */
export function withoutEmptyValues(params: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== ''));
}

function fenOrNull(value: string | undefined): number | null {
  if (value === undefined) return null;
  try {
    return yuanToFen(value);
  } catch {
    return null;
  }
}

/**
 * What a (verified) notify means for the sale. A notify carrying refund fields (`refund_fee`,
 * `out_biz_no`, `gmt_refund`) is a refund even though trade_status stays TRADE_SUCCESS (partial) or turns
 * TRADE_CLOSED (full refund): it must never be read as a new payment.
 */
export function classifyNotify(signed: Readonly<Record<string, string>>): NotifyClass {
  const params = withoutEmptyValues(signed);
  const outTradeNo = params.out_trade_no;
  const tradeNo = params.trade_no;
  const status = params.trade_status;
  if (!outTradeNo) return { kind: 'other', reason: 'missing out_trade_no' };
  if (params.notify_type !== undefined && params.notify_type !== 'trade_status_sync') {
    return { kind: 'other', reason: `notify_type ${params.notify_type}` };
  }
  if (status === 'WAIT_BUYER_PAY') return { kind: 'pending', outTradeNo };
  if (!tradeNo) return { kind: 'other', reason: 'missing trade_no' };
  const isRefund =
    params.refund_fee !== undefined || params.out_biz_no !== undefined || params.gmt_refund !== undefined;
  if (isRefund && (status === 'TRADE_SUCCESS' || status === 'TRADE_CLOSED' || status === 'TRADE_FINISHED')) {
    const refundFeeFen = fenOrNull(params.refund_fee);
    if (refundFeeFen === null) return { kind: 'other', reason: 'refund notify without a valid refund_fee' };
    return {
      kind: 'refund',
      outTradeNo,
      tradeNo,
      refundFeeFen,
      ...(params.out_biz_no ? { outBizNo: params.out_biz_no } : {}),
      ...(params.gmt_refund ? { gmtRefund: params.gmt_refund } : {}),
    };
  }
  if (status === 'TRADE_CLOSED') return { kind: 'closed', outTradeNo, tradeNo };
  if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED') {
    const totalFen = fenOrNull(params.total_amount);
    if (totalFen === null) return { kind: 'other', reason: 'payment notify without a valid total_amount' };
    if (!params.app_id) return { kind: 'other', reason: 'payment notify without app_id' };
    return {
      kind: 'payment',
      outTradeNo,
      tradeNo,
      totalFen,
      tradeStatus: status,
      appId: params.app_id,
      ...(params.seller_id ? { sellerId: params.seller_id } : {}),
    };
  }
  return { kind: 'other', reason: status ? `trade_status ${status}` : 'missing trade_status' };
}

export type NotifyBusinessExpectation = {
  appId: string;
  sellerId?: string;
  order: { outTradeNo: string; totalFen: number } | null;
};

export type NotifyBusinessCheck =
  | { ok: true }
  | {
      ok: false;
      reason: 'app_id_mismatch' | 'seller_id_mismatch' | 'unknown_order' | 'amount_mismatch' | 'malformed';
    };

/** The four checks Alipay's docs require before acting on a notify (research/alipay.md §3.4). */
export function checkNotifyBusiness(
  signed: Readonly<Record<string, string>>,
  expected: NotifyBusinessExpectation,
): NotifyBusinessCheck {
  const params = withoutEmptyValues(signed);
  const { app_id: appId, out_trade_no: outTradeNo, total_amount: totalAmount } = params;
  if (!appId || !outTradeNo || totalAmount === undefined) return { ok: false, reason: 'malformed' };
  const totalFen = fenOrNull(totalAmount);
  if (totalFen === null) return { ok: false, reason: 'malformed' };
  if (appId !== expected.appId) return { ok: false, reason: 'app_id_mismatch' };
  if (expected.sellerId !== undefined && params.seller_id !== expected.sellerId) {
    return { ok: false, reason: 'seller_id_mismatch' };
  }
  if (expected.order === null || expected.order.outTradeNo !== outTradeNo)
    return { ok: false, reason: 'unknown_order' };
  if (expected.order.totalFen !== totalFen) return { ok: false, reason: 'amount_mismatch' };
  return { ok: true };
}

// POST /alipay/notify: verify an Alipay asynchronous notification, make it durable, then (and only
// then) answer `success`. Anything that fails a check is answered `fail` and stored nowhere, so a
// forged or damaged notification can never reach a kiosk.
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { classifyNotify, notifySignContent, parseNotifyBody, verifyNotify } from '../app/alipay/index.ts';
import type { RelayStore, StoreOutcome } from './store.ts';
import {
  BodyIncompleteError,
  BodyNotUtf8Error,
  BodyTooLargeError,
  clientAddress,
  mediaType,
  readBody,
  textAnswer,
} from './http-util.ts';
import type { Answer, TrustProxy } from './http-util.ts';
import type { RelayLogger } from './logging.ts';
import type { RejectReason, RelayMetrics } from './metrics.ts';
import type { BadNotifyLimiter } from './rate-limit.ts';
import { kioskIdFromOutTradeNo } from './routing.ts';

export interface AlipayTrust {
  appId: string;
  publicKey: KeyObject;
  /** When set, notifies for another seller (PID) are refused. */
  sellerId?: string;
}

export interface NotifyDeps {
  store: Pick<RelayStore, 'storeNotify'>;
  alipay: AlipayTrust;
  isKnownKiosk: (id: string) => Promise<boolean>;
  metrics: RelayMetrics;
  limiter: BadNotifyLimiter;
  maxBodyBytes: number;
  /** Whose X-Forwarded-For (last entry) names the client for rate limiting. */
  trustProxy: TrustProxy;
  onStored: (kioskId: string, seq: number) => void;
  log: RelayLogger;
  now: () => Date;
}

export type NotifyVerdict =
  | { ok: true; result: StoreOutcome; notifyId: string | undefined; outTradeNo: string | undefined }
  | { ok: false; reason: RejectReason; detail: string };

/**
 * The decision for one raw body, independent of HTTP: parse once, verify RSA2, check app_id/seller_id,
 * then store in one transaction. Resolves only after the commit when ok.
 */
export async function acceptNotifyBody(
  raw: string,
  deps: Omit<NotifyDeps, 'limiter' | 'maxBodyBytes'>,
): Promise<NotifyVerdict> {
  let params: Record<string, string>;
  try {
    params = parseNotifyBody(raw);
  } catch (err) {
    return {
      ok: false,
      reason: 'malformed',
      detail: err instanceof Error ? err.message : 'unparseable body',
    };
  }
  if (Object.keys(params).length === 0) return { ok: false, reason: 'malformed', detail: 'empty body' };
  if (!params.sign)
    return { ok: false, reason: 'malformed', detail: 'no sign parameter: not an Alipay notify' };
  if (!verifyNotify(params, deps.alipay.publicKey)) {
    return { ok: false, reason: 'bad_signature', detail: 'RSA2 signature does not verify' };
  }
  if (params.app_id !== deps.alipay.appId) {
    return { ok: false, reason: 'wrong_app_id', detail: `app_id ${JSON.stringify(params.app_id ?? null)}` };
  }
  if (deps.alipay.sellerId !== undefined && params.seller_id !== deps.alipay.sellerId) {
    return {
      ok: false,
      reason: 'wrong_seller_id',
      detail: `seller_id ${JSON.stringify(params.seller_id ?? null)}`,
    };
  }

  const outTradeNo = params.out_trade_no;
  const routed = kioskIdFromOutTradeNo(outTradeNo);
  const kioskId = routed !== undefined && (await deps.isKnownKiosk(routed)) ? routed : undefined;
  const notifyClass = classifyNotify(params);
  const result = await deps.store.storeNotify({
    dedupKey: dedupKey(params),
    notifyId: params.notify_id,
    outTradeNo,
    notifyKind: notifyClass.kind,
    kioskId,
    rawBody: raw,
    params,
    receivedAt: deps.now().toISOString(),
  });
  return { ok: true, result, notifyId: params.notify_id, outTradeNo };
}

/**
 * Alipay keeps notify_id across resends of one notification. The trade status and refund fields are
 * part of the key too (research/alipay.md §3.4), so two different notifications can never collapse into
 * one even if an id were reused. A notification without notify_id falls back to a hash of what was
 * signed. `params` come from parseNotifyBody, so an empty value is already the same as an absent one.
 */
function dedupKey(params: Record<string, string>): string {
  if (params.notify_id === undefined) {
    // Over what was signed (and the signature), not the raw bytes: `&x=` appended is the same notify.
    const signed = `${notifySignContent(params)}&sign=${params.sign ?? ''}`;
    return `signed-sha256:${createHash('sha256').update(signed, 'utf8').digest('hex')}`;
  }
  return JSON.stringify([
    params.notify_id,
    params.trade_status ?? '',
    params.out_biz_no ?? '',
    params.gmt_refund ?? '',
    params.refund_fee ?? '',
  ]);
}

/**
 * POST /alipay/notify. Every request counted in `received` ends in exactly one `accepted` or `rejected`.
 * The bad-notify limit only ever decides how a notify that FAILS is answered (429, with no RSA work for
 * junk): a notify that verifies is stored and answered `success` whoever sent it, so forgeries sent
 * through the same proxy as Alipay can never block a genuine notify (issue 9, finding 4).
 */
export async function handleNotify(req: IncomingMessage, deps: NotifyDeps): Promise<Answer> {
  deps.metrics.notifiesReceived++;
  const ip = clientAddress(req, deps.trustProxy);
  const limited = deps.limiter.isLimited(ip);
  const reject = (status: number, reason: RejectReason, detail: string): Answer => {
    const finalReason = limited && status < 500 && reason !== 'incomplete' ? 'rate_limited' : reason;
    deps.metrics.reject(finalReason);
    if (finalReason !== 'rate_limited' && finalReason !== 'incomplete') deps.limiter.recordRejection(ip);
    // A limited sender's failures are not logged one by one: that is what it would flood.
    if (!limited) deps.log.info({ reason, detail, ip }, 'notify rejected');
    return textAnswer(finalReason === 'rate_limited' ? 429 : status, 'fail');
  };

  if (mediaType(req.headers['content-type']) !== 'application/x-www-form-urlencoded') {
    // Answered without reading the body; the answer closes the connection so none of it is read later.
    return reject(
      415,
      'unsupported_media_type',
      `content-type ${JSON.stringify(req.headers['content-type'] ?? null)}`,
    );
  }
  let raw: string;
  try {
    raw = await readBody(req, deps.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return reject(413, 'too_large', err.message);
    if (err instanceof BodyNotUtf8Error) return reject(400, 'malformed', err.message);
    if (err instanceof BodyIncompleteError) return reject(400, 'incomplete', err.message);
    throw err;
  }
  if (limited && !worthVerifying(raw, deps.alipay.appId)) {
    return reject(429, 'rate_limited', 'not a plausible notify from a limited address');
  }

  let verdict: NotifyVerdict;
  try {
    verdict = await acceptNotifyBody(raw, deps);
  } catch (err) {
    // Not durable, so not `success`: Alipay will resend and nothing is lost.
    deps.metrics.reject('store_failed');
    deps.log.error({ error: err instanceof Error ? err.message : String(err) }, 'notify store failed');
    return textAnswer(503, 'fail');
  }
  if (!verdict.ok) return reject(verdict.reason === 'malformed' ? 400 : 200, verdict.reason, verdict.detail);

  const { result } = verdict;
  deps.metrics.accept(result.outcome);
  deps.log.info(
    {
      outcome: result.outcome,
      notifyId: verdict.notifyId,
      outTradeNo: verdict.outTradeNo,
      ...(result.outcome === 'stored' ? { kioskId: result.kioskId, seq: result.seq } : {}),
      ...(result.outcome === 'duplicate' && !result.sameBody ? { note: 'resend with a different body' } : {}),
    },
    'notify accepted',
  );
  if (result.outcome === 'stored') deps.onStored(result.kioskId, result.seq);
  return textAnswer(200, 'success');
}

/**
 * Cheap checks before an RSA verification is spent on a limited sender's notify: it parses, is for our
 * app_id and says RSA2. A genuine notify always passes them.
 */
function worthVerifying(raw: string, appId: string): boolean {
  try {
    const params = parseNotifyBody(raw);
    return params.app_id === appId && params.sign_type === 'RSA2' && params.sign !== undefined;
  } catch {
    return false;
  }
}

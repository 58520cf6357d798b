import type { KeyObject } from 'node:crypto';
import { AlipayError } from './errors.ts';
import { extractResponse } from './extract.ts';
import { fenToYuan, yuanToFen } from './money.ts';
import type {
  AlipayOutcome,
  BillDownloadUrlInput,
  BillDownloadUrlResult,
  CancelResult,
  CloseResult,
  PrecreateInput,
  PrecreateResult,
  QueryResult,
  RefundInput,
  RefundQueryResult,
  RefundResult,
  TradeStatus,
} from './outcome.ts';
import { signParams, verifyContent } from './sign.ts';
import { alipayTimestamp } from './timestamp.ts';

export type AlipayClientOptions = {
  gatewayUrl: string;
  appId: string;
  privateKey: KeyObject;
  alipayPublicKey: KeyObject;
  /** Per HTTP attempt, covering connect + full body. Default 10 s. */
  timeoutMs?: number;
  now?: () => Date;
  fetchImpl?: typeof fetch;
  /** Extra attempts for calls that are safe to repeat (query, refund, refund query, cancel). Default 2. */
  retries?: number;
  /** Pause between attempts. Default 1000 ms (Alipay's demos use 2–5 s). */
  retryDelayMs?: number;
  /** Public-key-certificate mode: sent as app_cert_sn / alipay_root_cert_sn (see certs.ts). */
  appCertSn?: string;
  alipayRootCertSn?: string;
  /** Certificate mode: a response whose alipay_cert_sn differs is not trusted. */
  alipayCertSn?: string;
};

type Biz = Record<string, string | undefined>;
type Node = Record<string, unknown>;
type RetryPolicy = 'never' | 'idempotent' | 'cancel';

// Internal result of one HTTP exchange, before the method-specific success parser runs.
type Exchange =
  | { kind: 'verified'; node: Node }
  | { kind: 'retryable'; detail: string }
  | { kind: 'unknown'; detail: string };

const OUT_NO = /^[A-Za-z0-9_.-]{1,64}$/;

function requireOutNo(value: string, field: string): void {
  if (typeof value !== 'string' || !OUT_NO.test(value)) {
    throw new AlipayError('invalid_argument', `${field} must be 1–64 of [A-Za-z0-9_.-]`);
  }
}

function str(node: Node, key: string): string | undefined {
  const value = node[key];
  return typeof value === 'string' ? value : undefined;
}

/** Thrown by success parsers when a verified 10000 answer lacks what we need: outcome unknown. */
class MalformedSuccess extends Error {}

function fenField(node: Node, key: string): number {
  const value = str(node, key);
  if (value === undefined) throw new MalformedSuccess(`missing ${key}`);
  try {
    return yuanToFen(value);
  } catch {
    throw new MalformedSuccess(`bad ${key}`);
  }
}

function isCalendarDay(text: string): boolean {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

const TRADE_STATUSES: readonly string[] = [
  'WAIT_BUYER_PAY',
  'TRADE_SUCCESS',
  'TRADE_FINISHED',
  'TRADE_CLOSED',
];

export class AlipayClient {
  readonly #opts: Required<Pick<AlipayClientOptions, 'timeoutMs' | 'retries' | 'retryDelayMs'>> &
    AlipayClientOptions;
  readonly #fetch: typeof fetch;
  readonly #now: () => Date;

  constructor(options: AlipayClientOptions) {
    if (!options.appId) throw new AlipayError('invalid_argument', 'appId is required');
    if (options.privateKey.type !== 'private')
      throw new AlipayError('invalid_key', 'privateKey must be private');
    if (options.alipayPublicKey.type !== 'public') {
      throw new AlipayError('invalid_key', 'alipayPublicKey must be the Alipay PUBLIC key');
    }
    try {
      new URL(options.gatewayUrl);
    } catch {
      throw new AlipayError('invalid_argument', 'gatewayUrl is not a URL');
    }
    this.#opts = { timeoutMs: 10_000, retries: 2, retryDelayMs: 1000, ...options };
    this.#fetch = options.fetchImpl ?? fetch;
    this.#now = options.now ?? (() => new Date());
  }

  async precreate(input: PrecreateInput): Promise<AlipayOutcome<PrecreateResult>> {
    requireOutNo(input.outTradeNo, 'outTradeNo');
    if (input.totalFen < 1) throw new AlipayError('invalid_amount', 'totalFen must be at least 1');
    const biz: Biz = {
      out_trade_no: input.outTradeNo,
      total_amount: fenToYuan(input.totalFen),
      subject: input.subject,
      store_id: input.storeId,
      terminal_id: input.terminalId,
      timeout_express: input.timeoutExpress,
    };
    // Not repeated on unknown: a second precreate is a new QR display; the caller queries instead.
    return this.#call('alipay.trade.precreate', biz, 'never', { notify_url: input.notifyUrl }, (node) => {
      const qrCode = str(node, 'qr_code');
      if (!qrCode) throw new MalformedSuccess('missing qr_code');
      return { qrCode, outTradeNo: str(node, 'out_trade_no') ?? input.outTradeNo };
    });
  }

  async query(input: { outTradeNo: string }): Promise<AlipayOutcome<QueryResult>> {
    requireOutNo(input.outTradeNo, 'outTradeNo');
    return this.#call('alipay.trade.query', { out_trade_no: input.outTradeNo }, 'idempotent', {}, (node) => {
      const tradeStatus = str(node, 'trade_status');
      const tradeNo = str(node, 'trade_no');
      if (tradeStatus === undefined || !TRADE_STATUSES.includes(tradeStatus)) {
        throw new MalformedSuccess('bad trade_status');
      }
      if (!tradeNo) throw new MalformedSuccess('missing trade_no');
      return { tradeStatus: tradeStatus as TradeStatus, tradeNo, totalFen: fenField(node, 'total_amount') };
    });
  }

  async cancel(input: { outTradeNo: string }): Promise<AlipayOutcome<CancelResult>> {
    requireOutNo(input.outTradeNo, 'outTradeNo');
    return this.#call('alipay.trade.cancel', { out_trade_no: input.outTradeNo }, 'cancel', {}, (node) => {
      const action = str(node, 'action');
      return {
        action: action === 'close' || action === 'refund' ? action : null,
        retryFlag: str(node, 'retry_flag') === 'Y' ? 'Y' : 'N',
      };
    });
  }

  async close(input: { outTradeNo: string }): Promise<AlipayOutcome<CloseResult>> {
    requireOutNo(input.outTradeNo, 'outTradeNo');
    return this.#call('alipay.trade.close', { out_trade_no: input.outTradeNo }, 'never', {}, (node) => ({
      tradeNo: str(node, 'trade_no') ?? null,
    }));
  }

  async refund(input: RefundInput): Promise<AlipayOutcome<RefundResult>> {
    requireOutNo(input.outTradeNo, 'outTradeNo');
    requireOutNo(input.outRequestNo, 'outRequestNo');
    if (input.refundFen < 1) throw new AlipayError('invalid_amount', 'refundFen must be at least 1');
    const biz: Biz = {
      out_trade_no: input.outTradeNo,
      refund_amount: fenToYuan(input.refundFen),
      out_request_no: input.outRequestNo,
      refund_reason: input.reason,
    };
    // Safe to repeat: the same out_request_no makes Alipay answer fund_change=N instead of paying twice.
    return this.#call('alipay.trade.refund', biz, 'idempotent', {}, (node) => ({
      fundChange: str(node, 'fund_change') === 'Y',
      refundFeeFen: fenField(node, 'refund_fee'),
    }));
  }

  async refundQuery(input: {
    outTradeNo: string;
    outRequestNo: string;
  }): Promise<AlipayOutcome<RefundQueryResult>> {
    requireOutNo(input.outTradeNo, 'outTradeNo');
    requireOutNo(input.outRequestNo, 'outRequestNo');
    const biz: Biz = { out_trade_no: input.outTradeNo, out_request_no: input.outRequestNo };
    return this.#call('alipay.trade.fastpay.refund.query', biz, 'idempotent', {}, (node) => {
      // 10000 even when no such refund exists: only refund_status says it happened.
      const done = str(node, 'refund_status') === 'REFUND_SUCCESS';
      return {
        refundStatus: done ? 'REFUND_SUCCESS' : null,
        refundFen: str(node, 'refund_amount') === undefined ? null : fenField(node, 'refund_amount'),
      };
    });
  }

  /** Where to download a day's trade bill. Not ready yet → business_failure isp.bill_not_exist. */
  async billDownloadUrl(input: BillDownloadUrlInput): Promise<AlipayOutcome<BillDownloadUrlResult>> {
    if (input.billType !== 'trade') throw new AlipayError('invalid_argument', 'billType must be trade');
    if (!isCalendarDay(input.billDate))
      throw new AlipayError('invalid_argument', 'billDate must be yyyy-MM-dd');
    const biz: Biz = { bill_type: input.billType, bill_date: input.billDate };
    return this.#call('alipay.data.dataservice.bill.downloadurl.query', biz, 'idempotent', {}, (node) => {
      const url = str(node, 'bill_download_url');
      if (!url || !/^https?:\/\//.test(url)) throw new MalformedSuccess('missing bill_download_url');
      return { billDownloadUrl: url };
    });
  }

  async #call<T>(
    method: string,
    biz: Biz,
    policy: RetryPolicy,
    extra: Record<string, string | undefined>,
    parse: (node: Node) => T,
  ): Promise<AlipayOutcome<T>> {
    // One serialisation, reused for every attempt: what is signed is what is sent.
    const bizContent = JSON.stringify(biz);
    const attempts = 1 + Math.max(0, this.#opts.retries);
    let outcome: AlipayOutcome<T> = { kind: 'unknown', detail: 'not attempted' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, this.#opts.retryDelayMs));
      const exchange = await this.#exchange(method, bizContent, extra);
      let retryFlag: string | undefined;
      if (exchange.kind === 'verified') {
        outcome = this.#interpret(exchange.node, parse);
        retryFlag = str(exchange.node, 'retry_flag');
      } else {
        outcome = exchange;
      }
      if (!this.#shouldRetry(policy, outcome, retryFlag)) return outcome;
    }
    return outcome;
  }

  #shouldRetry<T>(policy: RetryPolicy, outcome: AlipayOutcome<T>, retryFlag: string | undefined): boolean {
    if (outcome.kind === 'success') return false;
    // Never reached Alipay (or was rejected unprocessed): repeating cannot double anything.
    if (outcome.kind === 'retryable') return true;
    if (policy === 'never') return false;
    if (outcome.kind === 'unknown') return true;
    // business_failure: only cancel has a documented "try again" flag.
    return policy === 'cancel' && retryFlag === 'Y';
  }

  #interpret<T>(node: Node, parse: (node: Node) => T): AlipayOutcome<T> {
    const code = str(node, 'code') ?? '';
    const subCode = str(node, 'sub_code') ?? '';
    const subMsg = str(node, 'sub_msg') ?? str(node, 'msg') ?? '';
    if (code === '10000') {
      try {
        return { kind: 'success', value: parse(node) };
      } catch (err) {
        const why = err instanceof MalformedSuccess ? err.message : 'unparseable';
        return { kind: 'unknown', detail: `success response malformed: ${why}` };
      }
    }
    if (code === '20000' || subCode === 'ACQ.SYSTEM_ERROR' || subCode.endsWith('.unknow-error')) {
      return { kind: 'unknown', detail: `gateway ${code} ${subCode}: ${subMsg}`.trim() };
    }
    if (code === '40005') return { kind: 'retryable', detail: `rate limited ${subCode}`.trim() };
    return { kind: 'business_failure', code, subCode, subMsg };
  }

  async #exchange(
    method: string,
    bizContent: string,
    extra: Record<string, string | undefined>,
  ): Promise<Exchange> {
    const params: Record<string, string | undefined> = {
      app_id: this.#opts.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: alipayTimestamp(this.#now()),
      version: '1.0',
      app_cert_sn: this.#opts.appCertSn,
      alipay_root_cert_sn: this.#opts.alipayRootCertSn,
      ...extra,
      biz_content: bizContent,
    };
    const sign = signParams(params, this.#opts.privateKey);
    // System params + sign in the query (charset must be there), biz_content alone in the form body.
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (key !== 'biz_content' && value !== undefined && value !== '') query.set(key, value);
    }
    query.set('sign', sign);
    const url = new URL(this.#opts.gatewayUrl);
    url.search = query.toString();
    const body = new URLSearchParams({ biz_content: bizContent }).toString();

    let text: string;
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/json',
        },
        body,
        signal: AbortSignal.timeout(this.#opts.timeoutMs),
      });
      text = await response.text();
      if (response.status !== 200) return { kind: 'unknown', detail: `HTTP ${response.status}` };
    } catch (err) {
      return classifyTransportError(err);
    }
    return this.#verify(text, method);
  }

  #verify(text: string, method: string): Exchange {
    let extracted;
    try {
      extracted = extractResponse(text, method);
    } catch (err) {
      const detail = err instanceof AlipayError ? err.message : 'unreadable response';
      return { kind: 'unknown', detail: `garbled response: ${detail}` };
    }
    if (extracted.sign === null) {
      const code = str(extracted.node, 'code') ?? '?';
      const subCode = str(extracted.node, 'sub_code') ?? '';
      return { kind: 'unknown', detail: `unsigned ${extracted.nodeName} ${code} ${subCode}`.trim() };
    }
    if (
      this.#opts.alipayCertSn !== undefined &&
      extracted.alipayCertSn !== null &&
      extracted.alipayCertSn !== this.#opts.alipayCertSn
    ) {
      return {
        kind: 'unknown',
        detail: `response signed by unknown alipay_cert_sn ${extracted.alipayCertSn}`,
      };
    }
    if (!verifyContent(extracted.signedText, extracted.sign, this.#opts.alipayPublicKey)) {
      return { kind: 'unknown', detail: 'response signature invalid' };
    }
    return { kind: 'verified', node: extracted.node };
  }
}

// Errors raised before any byte could reach the gateway mean the call had no effect.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function classifyTransportError(err: unknown): Exchange {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { kind: 'unknown', detail: 'timeout' };
  }
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  const code =
    cause !== null && typeof cause === 'object' && 'code' in cause
      ? String((cause as { code: unknown }).code)
      : '';
  if (NEVER_SENT.has(code)) return { kind: 'retryable', detail: `connect failed ${code}` };
  return {
    kind: 'unknown',
    detail: `transport error ${code || (err instanceof Error ? err.message : 'unknown')}`,
  };
}

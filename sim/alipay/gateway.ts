import type { KeyObject } from 'node:crypto';
import {
  buildSignContent,
  fenToYuan,
  parseAlipayTimestamp,
  responseNodeName,
  verifyContent,
  yuanToFen,
} from '../../app/alipay/index.ts';
import type { ResponseShape } from './alipay-json.ts';
import { BILL_METHOD } from './bill-desk.ts';
import type { SimTrade, TradeBook } from './trades.ts';

// One gateway.do request, already form-decoded: verify like the real gateway, then run the method.

export const SUPPORTED_METHODS = [
  'alipay.trade.precreate',
  'alipay.trade.query',
  'alipay.trade.cancel',
  'alipay.trade.close',
  'alipay.trade.refund',
  'alipay.trade.fastpay.refund.query',
  BILL_METHOD,
] as const;

export type GatewayContext = {
  appId: string;
  appPublicKey: KeyObject;
  sellerId: string;
  book: TradeBook;
  timestampSkewMs: number;
  nowMs: () => number;
  /** Called for every state change that makes Alipay send a notify. */
  onNotify: (trade: SimTrade, extra: Record<string, string>) => void;
  /** alipay.data.dataservice.bill.downloadurl.query (see bill-desk.ts). */
  billLink: (billType: string | undefined, billDate: string | undefined) => Node;
};

type Node = Record<string, string>;

const OK = { code: '10000', msg: 'Success' };

function fail(code: string, subCode: string, subMsg: string): Node {
  const msg =
    code === '40004'
      ? 'Business Failed'
      : code === '40001'
        ? 'Missing Required Arguments'
        : 'Invalid Arguments';
  return { code, msg, sub_code: subCode, sub_msg: subMsg };
}

const notExist = (): Node => fail('40004', 'ACQ.TRADE_NOT_EXIST', '交易不存在');

export type GatewayResult = ResponseShape & {
  method: string | null;
  outTradeNo?: string;
  outRequestNo?: string;
};

export function handleGateway(params: Record<string, string>, ctx: GatewayContext): GatewayResult {
  const method = params.method ?? '';
  const supported = (SUPPORTED_METHODS as readonly string[]).includes(method);
  if (!supported) {
    return {
      method: null,
      nodeName: 'error_response',
      signed: false,
      node: fail('40002', 'isv.invalid-method', '不存在的方法名'),
    };
  }
  const nodeName = responseNodeName(method);
  const reply = (node: Node, extra: Partial<GatewayResult> = {}): GatewayResult => ({
    method,
    nodeName,
    node,
    signed: true,
    ...extra,
  });
  if (params.app_id !== ctx.appId) {
    return {
      method,
      nodeName: 'error_response',
      signed: false,
      node: fail('40002', 'isv.invalid-app-id', '无效的AppID参数'),
    };
  }
  if (params.sign_type !== 'RSA2') return reply(fail('40002', 'isv.invalid-signature-type', '无效签名类型'));
  const content = buildSignContent(params);
  if (!params.sign || !verifyContent(content, params.sign, ctx.appPublicKey)) {
    return reply(
      fail(
        '40002',
        'isv.invalid-signature',
        `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`,
      ),
    );
  }
  const sent = params.timestamp ? parseAlipayTimestamp(params.timestamp) : null;
  if (sent === null || Math.abs(sent.getTime() - ctx.nowMs()) > ctx.timestampSkewMs) {
    return reply(fail('40002', 'isv.invalid-timestamp', '非法的时间戳参数'));
  }
  let biz: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(params.biz_content ?? '');
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    biz = parsed as Record<string, unknown>;
  } catch {
    return reply(fail('40001', 'isv.missing-biz-content', '缺少业务参数或格式错误'));
  }
  const text = (key: string): string | undefined =>
    typeof biz[key] === 'string' ? (biz[key] as string) : undefined;
  if (method === BILL_METHOD) return reply(ctx.billLink(text('bill_type'), text('bill_date')));
  const outTradeNo = text('out_trade_no');
  if (!outTradeNo) return reply(fail('40004', 'ACQ.INVALID_PARAMETER', '参数无效: out_trade_no'));
  const outRequestNo = text('out_request_no');
  const node = runMethod(method, outTradeNo, text, params, ctx);
  return reply(node, { outTradeNo, ...(outRequestNo ? { outRequestNo } : {}) });
}

function parseTimeoutExpress(value: string | undefined): number | null {
  if (value === undefined) return 120 * 60_000;
  const m = /^(\d+)([mhdc])$/.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000;
  const ms = n * unit;
  return ms >= 60_000 && ms <= 15 * 86_400_000 ? ms : null;
}

function money(value: string | undefined): number | null {
  if (value === undefined) return null;
  try {
    return yuanToFen(value);
  } catch {
    return null;
  }
}

function runMethod(
  method: string,
  outTradeNo: string,
  text: (key: string) => string | undefined,
  params: Record<string, string>,
  ctx: GatewayContext,
): Node {
  const { book } = ctx;
  const existing = book.byOutTradeNo.get(outTradeNo);
  if (existing && book.expire(existing)) ctx.onNotify(existing, { gmt_close: existing.gmtClose ?? '' });
  // A trade is visible to query/close/refund only once scanned.
  const visible = existing && existing.status !== 'NOT_SCANNED' ? existing : undefined;

  switch (method) {
    case 'alipay.trade.precreate': {
      const totalFen = money(text('total_amount'));
      if (totalFen === null || totalFen < 1 || totalFen > 10_000_000_000) {
        return fail('40004', 'ACQ.INVALID_PARAMETER', '参数无效：订单总金额格式错误');
      }
      const subject = text('subject');
      if (!subject) return fail('40004', 'ACQ.INVALID_PARAMETER', '参数无效：subject');
      const timeoutMs = parseTimeoutExpress(text('timeout_express'));
      if (timeoutMs === null) return fail('40004', 'ACQ.INVALID_PARAMETER', '参数无效：timeout_express');
      if (existing) {
        if (existing.status === 'TRADE_SUCCESS' || existing.status === 'TRADE_FINISHED') {
          return fail('40004', 'ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
        }
        if (existing.status === 'TRADE_CLOSED' || existing.dead)
          return fail('40004', 'ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
        if (existing.totalFen !== totalFen || existing.subject !== subject) {
          return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
        }
        return { ...OK, out_trade_no: outTradeNo, qr_code: existing.qrCode };
      }
      const trade = book.create({
        outTradeNo,
        totalFen,
        subject,
        notifyUrl: params.notify_url ?? null,
        storeId: text('store_id') ?? null,
        terminalId: text('terminal_id') ?? null,
        timeoutMs,
      });
      return { ...OK, out_trade_no: outTradeNo, qr_code: trade.qrCode };
    }
    case 'alipay.trade.query': {
      if (!visible) return notExist();
      return {
        ...OK,
        buyer_logon_id: 'buy***@sim.example',
        buyer_pay_amount: visible.status === 'TRADE_SUCCESS' ? fenToYuan(visible.totalFen) : '0.00',
        out_trade_no: outTradeNo,
        receipt_amount: visible.status === 'TRADE_SUCCESS' ? fenToYuan(visible.totalFen) : '0.00',
        ...(visible.gmtPayment ? { send_pay_date: visible.gmtPayment } : {}),
        total_amount: fenToYuan(visible.totalFen),
        trade_no: visible.tradeNo ?? '',
        trade_status: visible.status,
      };
    }
    case 'alipay.trade.close': {
      if (!visible) return notExist();
      if (visible.status !== 'WAIT_BUYER_PAY')
        return fail('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
      visible.status = 'TRADE_CLOSED';
      visible.gmtClose = book.stamp();
      ctx.onNotify(visible, { gmt_close: visible.gmtClose });
      return { ...OK, out_trade_no: outTradeNo, trade_no: visible.tradeNo ?? '' };
    }
    case 'alipay.trade.cancel': {
      if (!existing) return { ...OK, action: 'close', out_trade_no: outTradeNo, retry_flag: 'N' };
      if (existing.status === 'TRADE_FINISHED') {
        return { ...fail('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法'), retry_flag: 'N' };
      }
      if (existing.cancelAction === null) {
        if (existing.status === 'NOT_SCANNED') {
          existing.dead = true;
          existing.cancelAction = 'close';
        } else if (existing.status === 'WAIT_BUYER_PAY') {
          existing.status = 'TRADE_CLOSED';
          existing.gmtClose = book.stamp();
          existing.cancelAction = 'close';
          ctx.onNotify(existing, { gmt_close: existing.gmtClose });
        } else if (existing.status === 'TRADE_SUCCESS') {
          const remaining = existing.totalFen - existing.refundedFen;
          const refund = book.refund(existing, outTradeNo, remaining);
          existing.cancelAction = 'refund';
          ctx.onNotify(existing, refundNotifyFields(existing, refund.gmtRefund, outTradeNo));
        } else {
          existing.cancelAction = 'close';
        }
      }
      return {
        ...OK,
        action: existing.cancelAction ?? 'close',
        out_trade_no: outTradeNo,
        retry_flag: 'N',
        ...(existing.tradeNo ? { trade_no: existing.tradeNo } : {}),
      };
    }
    case 'alipay.trade.refund': {
      if (!visible) return notExist();
      const refundFen = money(text('refund_amount'));
      if (refundFen === null || refundFen < 1)
        return fail('40004', 'ACQ.INVALID_PARAMETER', '参数无效：refund_amount');
      const outRequestNo = text('out_request_no') ?? outTradeNo;
      const previous = visible.refunds.find((r) => r.outRequestNo === outRequestNo);
      const base = {
        ...OK,
        buyer_logon_id: 'buy***@sim.example',
        out_trade_no: outTradeNo,
        send_back_fee: '0.00',
        trade_no: visible.tradeNo ?? '',
      };
      if (previous) {
        // Idempotent by out_request_no: answers success again, moves no money.
        return {
          ...base,
          fund_change: 'N',
          gmt_refund_pay: previous.gmtRefund,
          refund_fee: fenToYuan(visible.refundedFen),
        };
      }
      if (visible.status !== 'TRADE_SUCCESS')
        return fail('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
      if (text('out_request_no') === undefined && refundFen !== visible.totalFen) {
        return fail('40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额与订单金额不一致');
      }
      if (visible.refundedFen + refundFen > visible.totalFen) {
        return fail('40004', 'ACQ.REASON_TRADE_REFUND_FEE_ERR', '退款金额超限');
      }
      const refund = book.refund(visible, outRequestNo, refundFen);
      ctx.onNotify(visible, refundNotifyFields(visible, refund.gmtRefund, outRequestNo));
      return {
        ...base,
        fund_change: 'Y',
        gmt_refund_pay: refund.gmtRefund,
        refund_fee: fenToYuan(visible.refundedFen),
      };
    }
    case 'alipay.trade.fastpay.refund.query': {
      const outRequestNo = text('out_request_no') ?? outTradeNo;
      const refund = visible?.refunds.find((r) => r.outRequestNo === outRequestNo);
      if (!visible || !refund) return { ...OK, out_request_no: outRequestNo, out_trade_no: outTradeNo };
      return {
        ...OK,
        gmt_refund_pay: refund.gmtRefund,
        out_request_no: outRequestNo,
        out_trade_no: outTradeNo,
        refund_amount: fenToYuan(refund.fen),
        refund_status: 'REFUND_SUCCESS',
        total_amount: fenToYuan(visible.totalFen),
        trade_no: visible.tradeNo ?? '',
      };
    }
    default:
      return fail('40002', 'isv.invalid-method', '不存在的方法名');
  }
}

function refundNotifyFields(trade: SimTrade, gmtRefund: string, outBizNo: string): Record<string, string> {
  return {
    gmt_refund: gmtRefund,
    out_biz_no: outBizNo,
    refund_fee: fenToYuan(trade.refundedFen),
    ...(trade.gmtClose ? { gmt_close: trade.gmtClose } : {}),
  };
}

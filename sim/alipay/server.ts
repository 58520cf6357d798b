import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { fenToYuan } from '../../app/alipay/index.ts';
import { renderResponse } from './alipay-json.ts';
import { BILL_PATH, BillDesk } from './bill-desk.ts';
import { applyFaultPatch, defaultFaults } from './faults.ts';
import type { Faults } from './faults.ts';
import { handleGateway } from './gateway.ts';
import type { GatewayResult } from './gateway.ts';
import { Notifier } from './notifier.ts';
import { qrPage } from './pages.ts';
import { TradeBook } from './trades.ts';
import type { SimTrade } from './trades.ts';

export type AlipaySimOptions = {
  host?: string;
  port?: number;
  appId: string;
  /** The merchant app's public key: request signatures are verified with it. */
  appPublicKey: KeyObject;
  /** The simulated Alipay's private key: responses and notifies are signed with it. */
  privateKey: KeyObject;
  /** Base for qr_code URLs when the sim is reached through another address. */
  publicBaseUrl?: string;
  /** Compresses timeout_express and the notify retry schedule (e.g. 60 → 4 min becomes 4 s). */
  timeScale?: number;
  sellerId?: string;
  /** Allowed difference between the request timestamp and the sim clock. Default 15 min. */
  timestampSkewMs?: number;
};

export type AlipaySim = { url: string; close(): Promise<void> };

export type RequestLogEntry = {
  seq: number;
  method: string | null;
  outTradeNo: string | null;
  outRequestNo: string | null;
  code: string | null;
  subCode: string | null;
  fault: string | null;
  at: string;
};

const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

/** Best-effort ids for the request log, also for requests a fault answered without processing. */
function bizIds(bizContent: string | undefined): { outTradeNo: string | null; outRequestNo: string | null } {
  try {
    const biz = JSON.parse(bizContent ?? '') as { out_trade_no?: unknown; out_request_no?: unknown };
    return {
      outTradeNo: typeof biz.out_trade_no === 'string' ? biz.out_trade_no : null,
      outRequestNo: typeof biz.out_request_no === 'string' ? biz.out_request_no : null,
    };
  } catch {
    return { outTradeNo: null, outRequestNo: null };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startAlipaySim(opts: AlipaySimOptions): Promise<AlipaySim> {
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be positive');
  const sellerId = opts.sellerId ?? '2088000000000001';
  let baseUrl = '';
  const book = new TradeBook(() => opts.publicBaseUrl ?? baseUrl, timeScale);
  const notifier = new Notifier(opts.privateKey, timeScale);
  const requestLog: RequestLogEntry[] = [];
  let faults: Faults = defaultFaults();
  const bills = new BillDesk(
    book,
    `${sellerId}0156`,
    () => opts.publicBaseUrl ?? baseUrl,
    () => faults,
    (next) => (faults = next),
  );

  function notify(trade: SimTrade, extra: Record<string, string>): void {
    if (!trade.notifyUrl || !trade.tradeNo) return;
    const paid = trade.gmtPayment !== null;
    const amount = fenToYuan(trade.totalFen);
    const params: Record<string, string> = {
      notify_time: book.stamp(),
      notify_type: 'trade_status_sync',
      app_id: opts.appId,
      auth_app_id: opts.appId,
      charset: 'utf-8',
      version: '1.0',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      trade_status: trade.status,
      total_amount: amount,
      subject: trade.subject,
      buyer_id: '2088102177846875',
      buyer_logon_id: 'buy***@sim.example',
      seller_id: sellerId,
      gmt_create: trade.gmtCreate ?? book.stamp(),
      ...(paid
        ? {
            gmt_payment: trade.gmtPayment ?? '',
            receipt_amount: amount,
            buyer_pay_amount: amount,
            invoice_amount: amount,
            point_amount: '0.00',
            fund_bill_list: JSON.stringify([{ amount, fundChannel: 'ALIPAYACCOUNT' }]),
          }
        : {}),
      ...extra,
    };
    notifier.send(trade.notifyUrl, params, faults.notify, faults.notifyDelayMs);
  }

  function takeFault(method: string | null): string | null {
    if (method === null || (faults.methods.length > 0 && !faults.methods.includes(method))) return null;
    for (const key of [
      'serviceUnavailableNext',
      'systemErrorNext',
      'dropResponseNext',
      'tamperSignatureNext',
      'unsignedNext',
    ] as const) {
      if (faults[key] > 0) {
        faults = { ...faults, [key]: faults[key] - 1 };
        return key;
      }
    }
    return null;
  }

  /** The method-specific faults: a cancel that fails, a refund Alipay refuses (both without effect). */
  function takeRefusal(method: string | null): 'cancelFailsNext' | 'refundRefusedNext' | null {
    const key =
      method === 'alipay.trade.cancel'
        ? 'cancelFailsNext'
        : method === 'alipay.trade.refund'
          ? 'refundRefusedNext'
          : null;
    if (key === null || faults[key] === 0) return null;
    faults = { ...faults, [key]: faults[key] - 1 };
    return key;
  }

  async function gateway(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req);
    const params: Record<string, string> = {};
    const duplicates: string[] = [];
    for (const source of [url.searchParams, new URLSearchParams(body)]) {
      for (const [key, value] of source) {
        if (key in params) duplicates.push(key);
        params[key] = value;
      }
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const log: RequestLogEntry = {
      seq: requestLog.length + 1,
      method: params.method ?? null,
      outTradeNo: null,
      outRequestNo: null,
      code: null,
      subCode: null,
      fault: null,
      at: new Date().toISOString(),
    };
    requestLog.push(log);
    const nodeName = params.method ? `${params.method.replace(/\./g, '_')}_response` : 'error_response';
    const refusal = duplicates.length > 0 ? null : takeRefusal(params.method ?? null);
    const fault = duplicates.length > 0 || refusal !== null ? null : takeFault(params.method ?? null);
    log.fault = refusal ?? fault;
    let result: GatewayResult;
    const errorNode = (code: string, subCode: string, subMsg: string): GatewayResult => ({
      method: params.method ?? null,
      nodeName,
      signed: true,
      node: {
        code,
        msg: code === '20000' ? 'Service Currently Unavailable' : 'Business Failed',
        sub_code: subCode,
        sub_msg: subMsg,
      },
    });
    if (duplicates.length > 0) {
      result = {
        method: null,
        nodeName: 'error_response',
        signed: false,
        node: {
          code: '40002',
          msg: 'Invalid Arguments',
          sub_code: 'isv.duplicate-parameter',
          sub_msg: `重复参数 ${duplicates.join(',')}`,
        },
      };
    } else if (refusal !== null) {
      result =
        refusal === 'cancelFailsNext'
          ? errorNode('40004', 'ACQ.SYSTEM_ERROR', '系统错误')
          : errorNode('40004', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', '卖家余额不足');
    } else if (
      (fault === 'serviceUnavailableNext' || fault === 'systemErrorNext') &&
      !faults.processBeforeError
    ) {
      result =
        fault === 'serviceUnavailableNext'
          ? errorNode('20000', 'isp.unknow-error', '服务暂不可用')
          : errorNode('40004', 'ACQ.SYSTEM_ERROR', '系统错误');
    } else {
      result = handleGateway(params, {
        appId: opts.appId,
        appPublicKey: opts.appPublicKey,
        sellerId,
        book,
        timestampSkewMs: opts.timestampSkewMs ?? 15 * 60_000,
        nowMs: Date.now,
        onNotify: notify,
        billLink: (billType, billDate) => bills.answer(billType, billDate),
      });
      if (fault === 'serviceUnavailableNext') result = errorNode('20000', 'isp.unknow-error', '服务暂不可用');
      if (fault === 'systemErrorNext') result = errorNode('40004', 'ACQ.SYSTEM_ERROR', '系统错误');
    }
    const ids = bizIds(params.biz_content);
    log.outTradeNo = result.outTradeNo ?? ids.outTradeNo;
    log.outRequestNo = result.outRequestNo ?? ids.outRequestNo;
    log.code = result.node.code ?? null;
    log.subCode = result.node.sub_code ?? null;
    if (fault === 'dropResponseNext') {
      res.socket?.destroy();
      return;
    }
    let text = renderResponse(
      { ...result, signed: result.signed && fault !== 'unsignedNext' },
      opts.privateKey,
    );
    if (fault === 'tamperSignatureNext') {
      // Flip one base64 character of the signature: still well-formed, no longer valid.
      text = text.replace(/"sign":"(.)/, (_m, ch: string) => `"sign":"${ch === 'A' ? 'B' : 'A'}`);
    }
    res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
    res.end(text);
  }

  function findTrade(input: unknown): SimTrade {
    if (input === null || typeof input !== 'object')
      throw new HttpError(400, 'body must be {"qrCode"} or {"outTradeNo"}');
    const { qrCode, outTradeNo } = input as { qrCode?: unknown; outTradeNo?: unknown };
    let trade: SimTrade | undefined;
    if (typeof qrCode === 'string') trade = book.byQrToken.get(qrCode.slice(qrCode.lastIndexOf('/') + 1));
    else if (typeof outTradeNo === 'string') trade = book.byOutTradeNo.get(outTradeNo);
    else throw new HttpError(400, 'body must be {"qrCode"} or {"outTradeNo"}');
    if (!trade) throw new HttpError(404, 'no such trade');
    return trade;
  }

  /** Buyer scans (and optionally pays). Throws HttpError 409 when the trade cannot be paid. */
  function buyer(trade: SimTrade, pay: boolean): void {
    if (book.expire(trade)) notify(trade, { gmt_close: trade.gmtClose ?? '' });
    if (trade.dead || (trade.status !== 'NOT_SCANNED' && trade.status !== 'WAIT_BUYER_PAY')) {
      throw new HttpError(
        409,
        `trade is not payable (${trade.dead ? 'expired or cancelled' : trade.status})`,
      );
    }
    if (pay) {
      book.pay(trade);
      notify(trade, {});
    } else {
      book.scan(trade);
    }
  }

  function tradeView(trade: SimTrade): Record<string, unknown> {
    return {
      out_trade_no: trade.outTradeNo,
      trade_no: trade.tradeNo,
      qr_code: trade.qrCode,
      status: trade.dead && trade.status === 'NOT_SCANNED' ? 'EXPIRED' : trade.status,
      total_amount: fenToYuan(trade.totalFen),
      total_fen: trade.totalFen,
      refunded_fen: trade.refundedFen,
      subject: trade.subject,
      notify_url: trade.notifyUrl,
    };
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const json = async (): Promise<unknown> => {
      try {
        return JSON.parse(await readBody(req)) as unknown;
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, 'body must be JSON');
      }
    };
    switch (route) {
      case 'GET /sim/trades':
        return sendJson(res, 200, [...book.byOutTradeNo.values()].map(tradeView));
      case 'GET /sim/ledger':
        return sendJson(res, 200, {
          payments: book.ledger.filter((e) => e.type === 'payment'),
          refunds: book.ledger.filter((e) => e.type === 'refund'),
        });
      case 'GET /sim/requests':
        return sendJson(res, 200, requestLog);
      case 'GET /sim/notifies': {
        const of = url.searchParams.get('outTradeNo');
        return sendJson(
          res,
          200,
          of ? notifier.records.filter((r) => r.outTradeNo === of) : notifier.records,
        );
      }
      case 'GET /sim/faults':
        return sendJson(res, 200, faults);
      case 'POST /sim/faults': {
        const patch = await json();
        try {
          faults = applyFaultPatch(faults, patch);
        } catch (err) {
          throw new HttpError(400, err instanceof Error ? err.message : 'bad faults');
        }
        return sendJson(res, 200, faults);
      }
      case 'POST /sim/pay':
      case 'POST /sim/scan': {
        const trade = findTrade(await json());
        buyer(trade, url.pathname === '/sim/pay');
        return sendJson(res, 200, tradeView(trade));
      }
    }
    const qr = /^\/qr\/([A-Za-z0-9_-]+)(\/pay)?$/.exec(url.pathname);
    const trade = qr ? book.byQrToken.get(qr[1] ?? '') : undefined;
    if (qr && trade) {
      if (req.method === 'GET' && !qr[2]) {
        book.expire(trade);
        const payable = !trade.dead && (trade.status === 'NOT_SCANNED' || trade.status === 'WAIT_BUYER_PAY');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(qrPage(trade, payable));
        return;
      }
      if (req.method === 'POST' && qr[2]) {
        let message = 'paid';
        try {
          buyer(trade, true);
        } catch (err) {
          message = err instanceof Error ? err.message : 'failed';
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(qrPage(trade, false, message));
        return;
      }
    }
    throw new HttpError(404, 'not found');
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    if (req.method === 'GET' && url.pathname === BILL_PATH) return bills.serve(url, res);
    const handler = req.method === 'POST' && url.pathname === '/gateway.do' ? gateway : control;
    handler(req, res, url).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const status = err instanceof HttpError ? err.status : 500;
      sendJson(res, status, { error: err instanceof Error ? err.message : 'internal error' });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  return {
    url: baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        notifier.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

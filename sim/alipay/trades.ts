import { randomBytes } from 'node:crypto';
import { alipayTimestamp } from '../../app/alipay/index.ts';

// The simulated Alipay's book of trades: lifecycle per research/alipay.md §4 (a precreated trade does not
// exist for query/close/refund until a buyer scans it).

export type SimTradeStatus =
  'NOT_SCANNED' | 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED' | 'TRADE_FINISHED';

export type SimRefund = { outRequestNo: string; fen: number; gmtRefund: string };

export type SimTrade = {
  outTradeNo: string;
  totalFen: number;
  subject: string;
  notifyUrl: string | null;
  storeId: string | null;
  terminalId: string | null;
  qrToken: string;
  qrCode: string;
  createdAtMs: number;
  expiresAtMs: number;
  status: SimTradeStatus;
  /** An unscanned precreate that expired or was cancelled can no longer be paid. */
  dead: boolean;
  tradeNo: string | null;
  gmtCreate: string | null;
  gmtPayment: string | null;
  gmtClose: string | null;
  refunds: SimRefund[];
  refundedFen: number;
  cancelAction: 'close' | 'refund' | null;
};

export type LedgerEntry =
  | { type: 'payment'; outTradeNo: string; tradeNo: string; fen: number; at: string }
  | { type: 'refund'; outTradeNo: string; tradeNo: string; fen: number; outRequestNo: string; at: string };

export class TradeBook {
  readonly byOutTradeNo = new Map<string, SimTrade>();
  readonly byQrToken = new Map<string, SimTrade>();
  readonly ledger: LedgerEntry[] = [];
  #tradeSeq = 0;

  constructor(
    private readonly qrBase: () => string,
    private readonly timeScale: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  create(input: {
    outTradeNo: string;
    totalFen: number;
    subject: string;
    notifyUrl: string | null;
    storeId: string | null;
    terminalId: string | null;
    timeoutMs: number;
  }): SimTrade {
    const qrToken = randomBytes(12).toString('base64url');
    const now = this.nowMs();
    const trade: SimTrade = {
      ...input,
      qrToken,
      qrCode: `${this.qrBase()}/qr/${qrToken}`,
      createdAtMs: now,
      expiresAtMs: now + input.timeoutMs / this.timeScale,
      status: 'NOT_SCANNED',
      dead: false,
      tradeNo: null,
      gmtCreate: null,
      gmtPayment: null,
      gmtClose: null,
      refunds: [],
      refundedFen: 0,
      cancelAction: null,
    };
    this.byOutTradeNo.set(trade.outTradeNo, trade);
    this.byQrToken.set(qrToken, trade);
    return trade;
  }

  /** Applies timeout_express lazily. Returns true when this call closed a scanned trade (notify due). */
  expire(trade: SimTrade): boolean {
    if (this.nowMs() < trade.expiresAtMs) return false;
    if (trade.status === 'NOT_SCANNED') trade.dead = true;
    if (trade.status === 'WAIT_BUYER_PAY') {
      trade.status = 'TRADE_CLOSED';
      trade.gmtClose = this.stamp();
      return true;
    }
    return false;
  }

  scan(trade: SimTrade): void {
    if (trade.status !== 'NOT_SCANNED') return;
    trade.status = 'WAIT_BUYER_PAY';
    trade.tradeNo = this.#nextTradeNo();
    trade.gmtCreate = this.stamp();
  }

  pay(trade: SimTrade): void {
    this.scan(trade);
    trade.status = 'TRADE_SUCCESS';
    trade.gmtPayment = this.stamp();
    this.ledger.push({
      type: 'payment',
      outTradeNo: trade.outTradeNo,
      tradeNo: trade.tradeNo ?? '',
      fen: trade.totalFen,
      at: trade.gmtPayment,
    });
  }

  refund(trade: SimTrade, outRequestNo: string, fen: number): SimRefund {
    const refund = { outRequestNo, fen, gmtRefund: this.stamp() };
    trade.refunds.push(refund);
    trade.refundedFen += fen;
    this.ledger.push({
      type: 'refund',
      outTradeNo: trade.outTradeNo,
      tradeNo: trade.tradeNo ?? '',
      fen,
      outRequestNo,
      at: refund.gmtRefund,
    });
    if (trade.refundedFen === trade.totalFen) {
      trade.status = 'TRADE_CLOSED';
      trade.gmtClose = refund.gmtRefund;
    }
    return refund;
  }

  stamp(): string {
    return alipayTimestamp(new Date(this.nowMs()));
  }

  #nextTradeNo(): string {
    this.#tradeSeq += 1;
    const day = this.stamp().slice(0, 10).replace(/-/g, '');
    return `${day}22001${String(this.#tradeSeq).padStart(8, '0')}${randomBytes(3).readUIntBE(0, 3) % 100000}`;
  }
}

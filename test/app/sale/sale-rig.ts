// A SaleService over a real SQLite file with a scripted gateway and a scripted board, for the money rules that
// need an answer the real simulators never give (a query reporting another amount, a cancel that never
// confirms). Fast enough to run under mutation testing; the same rules are exercised end to end, against
// alipay-sim and vmc-sim, in sale-service.<board>.test.ts.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { signParams } from '../../../app/alipay/index.ts';
import type {
  AlipayOutcome,
  CancelResult,
  PrecreateResult,
  QueryResult,
  RefundResult,
} from '../../../app/alipay/outcome.ts';
import type {
  Dispenser,
  DispenserEvent,
  LinkState,
  VendMark,
  VendOutcome,
} from '../../../app/dispenser/dispenser.ts';
import { SaleService, type PaymentGateway, type SaleServiceOptions } from '../../../app/sale/index.ts';
import { openStore, type OrderRow, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

export const RIG_APP_ID = '2021000000000007';
export const RIG_TIMEOUT_MS = 120_000;

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });

export interface GatewayCall {
  readonly method: 'precreate' | 'query' | 'cancel' | 'refund';
  readonly input: Record<string, unknown>;
}

/** Answers the sale logic's gateway calls from what the test sets; records every call. */
export class ScriptedGateway {
  readonly calls: GatewayCall[] = [];
  query: (outTradeNo: string) => AlipayOutcome<QueryResult> = () => notExist();
  cancel: (outTradeNo: string) => AlipayOutcome<CancelResult> = () => ({
    kind: 'success',
    value: { action: 'close', retryFlag: 'N' },
  });
  refund: (refundFen: number) => AlipayOutcome<RefundResult> = (refundFen) => ({
    kind: 'success',
    value: { fundChange: true, refundFeeFen: refundFen },
  });

  /** The PaymentGateway the sale logic sees. */
  readonly port: PaymentGateway = {
    precreate: (input) => {
      this.calls.push({ method: 'precreate', input });
      const value: PrecreateResult = {
        qrCode: `https://qr.invalid/${input.outTradeNo}`,
        outTradeNo: input.outTradeNo,
      };
      return Promise.resolve({ kind: 'success', value });
    },
    query: (input) => {
      this.calls.push({ method: 'query', input });
      return Promise.resolve(this.query(input.outTradeNo));
    },
    cancel: (input) => {
      this.calls.push({ method: 'cancel', input });
      return Promise.resolve(this.cancel(input.outTradeNo));
    },
    refund: (input) => {
      this.calls.push({ method: 'refund', input });
      return Promise.resolve(this.refund(input.refundFen));
    },
  };

  refunds(): Array<{ fen: unknown; outRequestNo: unknown }> {
    return this.calls
      .filter((c) => c.method === 'refund')
      .map((c) => ({ fen: c.input['refundFen'], outRequestNo: c.input['outRequestNo'] }));
  }
}

export function notExist(): AlipayOutcome<never> {
  return { kind: 'business_failure', code: '40004', subCode: 'ACQ.TRADE_NOT_EXIST', subMsg: 'no trade' };
}

export function paidTrade(totalFen: number): AlipayOutcome<QueryResult> {
  return { kind: 'success', value: { tradeStatus: 'TRADE_SUCCESS', tradeNo: '2026112922001', totalFen } };
}

/** A board that is always up and vends what the test says; records every lane it was asked to turn. */
export class ScriptedBoard implements Dispenser {
  readonly capabilities = { dropSensor: true, lift: false };
  linkState: LinkState = 'up';
  readonly vends: number[] = [];
  /** The board's packet number of the moment, given as the vend mark; null: a board without numbering. */
  boardSeq: number | null = null;
  /** The transaction label each vend was sent with (`<out_trade_no>#<position>`). */
  readonly txns: string[] = [];
  outcome: (lane: number) => VendOutcome | Promise<VendOutcome> = () => ({
    kind: 'delivered',
    dropConfirmed: true,
  });
  private readonly listeners = new Set<(event: DispenserEvent) => void>();

  vend(lane: number, txn: string): Promise<VendOutcome> {
    this.vends.push(lane);
    this.txns.push(txn);
    return Promise.resolve(this.outcome(lane));
  }
  vendMark(): VendMark | null {
    return this.boardSeq === null ? null : { boardSeq: this.boardSeq };
  }

  /** Changes the link state and tells listeners, as a driver does when the board comes and goes. */
  setLink(state: LinkState): void {
    this.linkState = state;
    this.emit({ type: 'link', state, detail: state });
  }
  /** Tells listeners what the board sent unasked (a report resent after the agent restarted, say). */
  emit(event: DispenserEvent): void {
    for (const l of [...this.listeners]) l(event);
  }
  listenerCount(): number {
    return this.listeners.size;
  }
  laneStatus(lane: number) {
    return Promise.resolve({ lane, state: 'ok' as const, detail: 'ok' });
  }
  machineStatus() {
    return Promise.resolve({ doorOpen: false, temperatureC: null, lift: null, detail: 'ok' });
  }
  onEvent(listener: (event: DispenserEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface SaleRig {
  readonly sales: SaleService;
  readonly store: Store;
  readonly gateway: ScriptedGateway;
  readonly board: ScriptedBoard;
  readonly clock: { now: number };
  readonly logs: string[];
  order(outTradeNo: string): OrderRow;
  /** A notification body for this order, signed with the rig's Alipay key (as Alipay signs it). */
  notify(outTradeNo: string, totalAmount: string, extra?: Record<string, string>): string;
}

export interface SaleRigOptions extends SaleServiceOptions {
  /** Extra lanes beyond water (lane 1, 200 fen) and cola (lane 2, 350 fen). */
  readonly lanes?: ReadonlyArray<{ lane: number; name: string; priceFen: number; stock: number }>;
  /** The merchant's seller id: notifications for another seller are then rejected. */
  readonly sellerId?: string;
  /** Signs notifications with another key than the one the kiosk trusts (a forger). */
  readonly forgeNotifies?: boolean;
  /** Opens this database file instead of a fresh one: an agent restarted on what another rig left. */
  readonly dbFile?: string;
}

export function startSaleRig(options: SaleRigOptions = {}): SaleRig {
  const clock = { now: Date.parse('2026-11-29T08:00:00Z') };
  const store = openStore(
    options.dbFile ?? path.join(tempDir('f2f-sale-rig-'), 'kiosk.sqlite'),
    () => clock.now,
  );
  onCleanup(() => store.close());
  store.lanes.seedIfEmpty([
    { lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 5, capacity: 10, enabled: true },
    { lane: 2, productId: 'C', name: 'Cola', priceFen: 350, stock: 5, capacity: 10, enabled: true },
    ...(options.lanes ?? []).map((l) => ({ ...l, productId: `P${l.lane}`, capacity: 10, enabled: true })),
  ]);
  const gateway = new ScriptedGateway();
  const board = new ScriptedBoard();
  const logs: string[] = [];
  const sales = new SaleService(
    {
      kioskId: 'KT',
      store,
      gateway: gateway.port,
      dispenser: board,
      alipay: {
        appId: RIG_APP_ID,
        ...(options.sellerId ? { sellerId: options.sellerId } : {}),
        publicKey: keys.publicKey,
        notifyUrl: 'https://relay.invalid/alipay/notify',
      },
      paymentTimeoutMs: RIG_TIMEOUT_MS,
      now: () => clock.now,
      log: (line) => logs.push(line),
    },
    options,
  );
  onCleanup(() => sales.stop());
  return {
    sales,
    store,
    gateway,
    board,
    clock,
    logs,
    order: (outTradeNo) => store.orders.mustGet(outTradeNo),
    notify: (outTradeNo, totalAmount, extra = {}) =>
      signedNotify(
        options.forgeNotifies ? forger.privateKey : keys.privateKey,
        outTradeNo,
        totalAmount,
        extra,
      ),
  };
}

function signedNotify(
  privateKey: KeyObject,
  outTradeNo: string,
  totalAmount: string,
  extra: Record<string, string>,
): string {
  const all: Record<string, string> = {
    app_id: RIG_APP_ID,
    notify_id: `n-${outTradeNo}-${totalAmount}`,
    notify_type: 'trade_status_sync',
    notify_time: '2026-11-29 16:00:05',
    out_trade_no: outTradeNo,
    total_amount: totalAmount,
    trade_no: '2026112922001',
    trade_status: 'TRADE_SUCCESS',
    ...extra,
  };
  // A field set to '' is left out, as Alipay leaves out fields it has no value for.
  const params = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== ''));
  // Alipay signs trade notifications without sign_type, then adds it.
  return new URLSearchParams({
    ...params,
    sign_type: 'RSA2',
    sign: signParams(params, privateKey),
  }).toString();
}

// Reconciliation as the relay runs it: one day from Alipay's bill to stored differences (runDay + the store),
// and the compensating refunds, each sent with the kiosk's own deterministic out_request_no and audited. Shared
// by the admin API, the daily schedule and the `notify-relay reconcile` command.
import type {
  AlipayOutcome,
  RefundInput,
  RefundResult,
  TradeBillOutcome,
  QueryResult,
} from '../../app/alipay/index.ts';
import type { RelayLogger } from '../logging.ts';
import { runDay } from './run-day.ts';
import type { ReconcileSources } from './run-day.ts';
import type { ActionResult, ActionTrigger, DayDetail, ReconciliationStore, StoredAction } from './store.ts';

/** The two Alipay calls compensation needs (an AlipayClient has them). */
export interface RefundGateway {
  refund(input: RefundInput): Promise<AlipayOutcome<RefundResult>>;
  query(input: { outTradeNo: string }): Promise<AlipayOutcome<QueryResult>>;
}

export interface ReconcileMetricsSink {
  dayRan(status: 'ok' | 'differences' | 'failed', day: string, byClass: Record<string, number>): void;
  refunded(result: ActionResult): void;
}

export type ReconcileServiceDeps = {
  store: ReconciliationStore;
  sources: ReconcileSources;
  bill: (day: string) => Promise<TradeBillOutcome>;
  gateway: RefundGateway;
  kioskOf: (outTradeNo: string) => string | null;
  now: () => Date;
  log: RelayLogger;
  metrics?: ReconcileMetricsSink;
  /** Refund "paid, nothing delivered, nothing refunded" right after each run, without a person. */
  autoRefund: boolean;
};

/** Who asked: an operator (admin API, command line) or the relay itself (auto-refund). */
export type Requester = { trigger: ActionTrigger; actor: string };

export type RefundAnswer =
  | { kind: 'done'; action: StoredAction }
  | { kind: 'day_not_found' }
  | { kind: 'not_refundable'; why: string };

function billProblem(outcome: Exclude<TradeBillOutcome, { kind: 'success' }>): string {
  switch (outcome.kind) {
    case 'not_ready':
      return "not_ready: Alipay's bill for the day does not exist yet (usually ready by 09:00 the next day)";
    case 'business_failure':
      return `business_failure: ${outcome.subCode} ${outcome.subMsg}`;
    default:
      return `${outcome.kind}: ${outcome.detail}`;
  }
}

export class ReconciliationService {
  readonly #running = new Map<string, Promise<DayDetail>>();
  readonly #refunding = new Map<string, Promise<StoredAction>>();

  constructor(private readonly deps: ReconcileServiceDeps) {}

  /** Runs one day now (a run of the same day already under way is joined, not repeated). */
  run(day: string, requester: Requester): Promise<DayDetail> {
    let running = this.#running.get(day);
    if (!running) {
      running = this.#run(day, requester).finally(() => this.#running.delete(day));
      this.#running.set(day, running);
    }
    return running;
  }

  async #run(day: string, requester: Requester): Promise<DayDetail> {
    const { store, log } = this.deps;
    const ranAt = this.deps.now().toISOString();
    let outcome;
    try {
      outcome = await runDay(day, {
        bill: this.deps.bill,
        sources: this.deps.sources,
        kioskOf: this.deps.kioskOf,
      });
    } catch (err) {
      outcome = { kind: 'error' as const, detail: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.kind !== 'reconciled') {
      const error = outcome.kind === 'error' ? `error: ${outcome.detail}` : billProblem(outcome.outcome);
      await store.saveDay({ day, ranAt, status: 'failed', error });
      this.deps.metrics?.dayRan('failed', day, {});
      log.warn({ day, error, actor: requester.actor }, 'reconciliation failed');
      return this.#detail(day);
    }
    const { report, plan } = outcome;
    const status = report.differences.length > 0 ? 'differences' : 'ok';
    await store.saveDay({
      day,
      ranAt,
      status,
      trades: report.trades,
      differences: report.differences,
      refunds: plan.refunds,
    });
    this.deps.metrics?.dayRan(status, day, report.counts);
    log.info(
      { day, trades: report.trades, agreed: report.agreed, counts: report.counts, actor: requester.actor },
      'reconciled',
    );
    for (const rejected of report.rejectedTelemetry) {
      log.warn({ day, ...rejected }, 'reconciliation: unreadable sale.settled telemetry');
    }
    if (this.deps.autoRefund) {
      for (const planned of plan.refunds) {
        await this.refund(day, planned.outTradeNo, { trigger: 'auto', actor: requester.actor });
      }
    }
    return this.#detail(day);
  }

  async #detail(day: string): Promise<DayDetail> {
    const detail = await this.deps.store.getDay(day);
    if (!detail) throw new Error(`reconciliation day ${day} was just stored and is gone`);
    return detail;
  }

  /**
   * Refunds one "paid, nothing delivered, nothing refunded" trade of a reconciled day with the number the plan
   * stored (the kiosk's own `_RL`): whoever else refunds it with that number, Alipay moves the money once.
   * Concurrent requests for the same refund share one call to Alipay.
   */
  async refund(day: string, outTradeNo: string, requester: Requester): Promise<RefundAnswer> {
    const { store } = this.deps;
    if ((await store.getDay(day)) === null) return { kind: 'day_not_found' };
    const plan = await store.plannedRefund(day, outTradeNo);
    if (!plan) {
      return {
        kind: 'not_refundable',
        why: (await store.hasDifference(day, outTradeNo))
          ? 'this difference is not refunded by plan: it needs a person (see docs/operations.md)'
          : `no difference for ${outTradeNo} on ${day}`,
      };
    }
    let sending = this.#refunding.get(plan.outRequestNo);
    if (!sending) {
      sending = this.#send(day, plan.outTradeNo, plan.outRequestNo, plan.refundFen, requester).finally(() =>
        this.#refunding.delete(plan.outRequestNo),
      );
      this.#refunding.set(plan.outRequestNo, sending);
    }
    return { kind: 'done', action: await sending };
  }

  async #send(
    day: string,
    outTradeNo: string,
    outRequestNo: string,
    refundFen: number,
    requester: Requester,
  ): Promise<StoredAction> {
    const outcome = await this.deps.gateway.refund({
      outTradeNo,
      outRequestNo,
      refundFen,
      reason: `reconciliation ${day}: paid, nothing delivered`,
    });
    let result: ActionResult;
    let detail: string;
    if (outcome.kind === 'success') {
      result = outcome.value.fundChange ? 'refunded' : 'already_refunded';
      detail = outcome.value.fundChange
        ? `Alipay refunded ${refundFen} fen (trade refunded ${outcome.value.refundFeeFen} fen in all)`
        : `${outRequestNo} had already been refunded (trade refunded ${outcome.value.refundFeeFen} fen in all)`;
    } else if (outcome.kind === 'business_failure') {
      const refusal = `${outcome.subCode}: ${outcome.subMsg}`;
      const trade = await this.deps.gateway.query({ outTradeNo });
      if (trade.kind === 'success' && trade.value.tradeStatus === 'TRADE_CLOSED') {
        result = 'already_refunded';
        detail = `${refusal}; the trade is closed at Alipay: all of it was refunded already`;
      } else {
        result = 'failed';
        detail = `refused by Alipay: ${refusal}`;
      }
    } else {
      result = 'failed';
      detail = `outcome ${outcome.kind} (${outcome.detail}); repeating it is safe: the same ${outRequestNo} cannot pay twice`;
    }
    const action: StoredAction = {
      at: this.deps.now().toISOString(),
      outTradeNo,
      outRequestNo,
      refundFen,
      trigger: requester.trigger,
      result,
      detail,
    };
    await this.deps.store.recordAction({ ...action, day, actor: requester.actor });
    this.deps.metrics?.refunded(result);
    this.deps.log.info({ day, ...action, actor: requester.actor }, 'reconciliation refund');
    return action;
  }
}

// Prometheus text exposition of the relay's counters. Hand-written: the relay needs a handful of
// counters and gauges, not a metrics library.
import { DIFFERENCE_CLASSES } from './reconcile/classify.ts';

export type RejectReason =
  | 'malformed'
  | 'too_large'
  | 'unsupported_media_type'
  | 'bad_signature'
  | 'wrong_app_id'
  | 'wrong_seller_id'
  | 'rate_limited'
  | 'incomplete'
  | 'store_failed';

export type AcceptOutcome = 'stored' | 'duplicate' | 'unroutable';

/** Reconciliation: the newest day's differences by class, runs by status, compensating refunds by result. */
export class ReconciliationMetrics {
  latestDay: string | null = null;
  readonly differences = new Map<string, number>();
  readonly runs = new Map<'ok' | 'differences' | 'failed', number>();
  readonly refunds = new Map<'refunded' | 'failed' | 'already_refunded', number>();

  dayRan(status: 'ok' | 'differences' | 'failed', day: string, byClass: Record<string, number>): void {
    this.runs.set(status, (this.runs.get(status) ?? 0) + 1);
    // The gauge follows the newest day reconciled; re-running an older day does not move it back.
    if (status === 'failed' || (this.latestDay !== null && day < this.latestDay)) return;
    this.showDay(day, byClass);
  }

  showDay(day: string, byClass: Record<string, number>): void {
    this.latestDay = day;
    this.differences.clear();
    for (const [cls, n] of Object.entries(byClass)) this.differences.set(cls, n);
  }

  refunded(result: 'refunded' | 'failed' | 'already_refunded'): void {
    this.refunds.set(result, (this.refunds.get(result) ?? 0) + 1);
  }
}

export class RelayMetrics {
  readonly reconciliation = new ReconciliationMetrics();
  notifiesReceived = 0;
  readonly accepted = new Map<AcceptOutcome, number>();
  readonly rejected = new Map<RejectReason, number>();
  readonly pushed = new Map<'ws' | 'longpoll', number>();
  telemetryAccepted = 0;
  telemetryDuplicates = 0;

  /** Read at scrape time so the gauges are never stale. */
  constructor(
    private readonly gauges: {
      httpConnections: () => number;
      kiosksConnected: () => number;
      longPollWaiting: () => number;
      /** A database count: asynchronous. */
      deadLetters: () => Promise<number>;
    },
  ) {}

  accept(outcome: AcceptOutcome): void {
    this.accepted.set(outcome, (this.accepted.get(outcome) ?? 0) + 1);
  }

  reject(reason: RejectReason): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  push(transport: 'ws' | 'longpoll', n: number): void {
    this.pushed.set(transport, (this.pushed.get(transport) ?? 0) + n);
  }

  async render(): Promise<string> {
    const deadLetters = await this.gauges.deadLetters();
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const labelled = <K extends string>(
      label: string,
      keys: readonly K[],
      m: Map<K, number>,
    ): Array<[string, number]> => keys.map((k) => [`{${label}="${k}"}`, m.get(k) ?? 0]);

    metric('relay_notifies_received_total', 'counter', 'Alipay notifications received.', [
      ['', this.notifiesReceived],
    ]);
    metric(
      'relay_notifies_accepted_total',
      'counter',
      'Notifications answered success, by outcome.',
      labelled('outcome', ['stored', 'duplicate', 'unroutable'] as const, this.accepted),
    );
    metric(
      'relay_notifies_rejected_total',
      'counter',
      'Notifications answered fail, by reason.',
      labelled(
        'reason',
        [
          'malformed',
          'too_large',
          'unsupported_media_type',
          'bad_signature',
          'wrong_app_id',
          'wrong_seller_id',
          'rate_limited',
          'incomplete',
          'store_failed',
        ] as const,
        this.rejected,
      ),
    );
    metric(
      'relay_events_pushed_total',
      'counter',
      'Events delivered to kiosks, by transport.',
      labelled('transport', ['ws', 'longpoll'] as const, this.pushed),
    );
    metric('relay_http_connections', 'gauge', 'Open HTTP connections, websockets included.', [
      ['', this.gauges.httpConnections()],
    ]);
    metric('relay_kiosks_connected', 'gauge', 'Kiosks with a live stream connection.', [
      ['', this.gauges.kiosksConnected()],
    ]);
    metric('relay_longpoll_waiting', 'gauge', 'Long-poll requests currently waiting.', [
      ['', this.gauges.longPollWaiting()],
    ]);
    metric('relay_dead_letters', 'gauge', 'Stored notifications no configured kiosk owns.', [
      ['', deadLetters],
    ]);
    metric('relay_telemetry_events_total', 'counter', 'Kiosk telemetry events, new vs duplicate.', [
      ['{result="new"}', this.telemetryAccepted],
      ['{result="duplicate"}', this.telemetryDuplicates],
    ]);
    const rec = this.reconciliation;
    metric(
      'relay_reconciliation_differences',
      'gauge',
      'Differences found by the latest run of the newest reconciled day, by class.',
      labelled('class', DIFFERENCE_CLASSES, rec.differences),
    );
    metric(
      'relay_reconciliation_runs_total',
      'counter',
      'Reconciliation runs, by status.',
      labelled('status', ['ok', 'differences', 'failed'] as const, rec.runs),
    );
    metric(
      'relay_reconciliation_refunds_total',
      'counter',
      'Compensating refunds sent by reconciliation, by result.',
      labelled('result', ['refunded', 'already_refunded', 'failed'] as const, rec.refunds),
    );
    return lines.join('\n') + '\n';
  }
}

// Prometheus text exposition of the relay's counters. Hand-written: the relay needs a handful of
// counters and gauges, not a metrics library.

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

export class RelayMetrics {
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
    return lines.join('\n') + '\n';
  }
}

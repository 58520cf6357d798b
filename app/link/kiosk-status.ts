// The kiosk's `kiosk.status` telemetry: what an operator needs to see of a kiosk that no single sale tells —
// its lanes (stock, capacity, in service or not), the board link, the refunds it still owes and how much
// telemetry waits to be uploaded. Recorded when any of that changes (checked every `checkEveryMs`) and at least
// every `heartbeatMs`; only the newest unsent one is kept, so a kiosk cut off from its relay for a week
// uploads one status, not thousands.

export const KIOSK_STATUS = 'kiosk.status';

export interface KioskStatus {
  readonly lanes: ReadonlyArray<{
    readonly lane: number;
    readonly productId: string;
    readonly stock: number;
    readonly capacity: number;
    readonly enabled: boolean;
  }>;
  readonly board: 'up' | 'down';
  /** Refunds recorded and not yet confirmed by Alipay (the kiosk retries them). */
  readonly refundsPending: { readonly count: number; readonly fen: number };
  /** Refunds Alipay refused: they need a person. */
  readonly refundsFailed: { readonly count: number; readonly fen: number };
  /** Telemetry events not yet uploaded when this status was recorded. */
  readonly outboxDepth: number;
}

export interface KioskStatusSources {
  lanes(): KioskStatus['lanes'];
  boardLink(): 'up' | 'down';
  refunds(): ReadonlyArray<{ readonly state: string; readonly amountFen: number }>;
  outboxDepth(): number;
}

export interface StatusOutbox {
  /** Records an event, replacing an unsent one of the same type. */
  replaceUnsent(type: string, data: unknown): void;
}

export interface KioskStatusOptions {
  readonly sources: KioskStatusSources;
  readonly outbox: StatusOutbox;
  readonly now: () => number;
  readonly checkEveryMs?: number;
  readonly heartbeatMs?: number;
  readonly log?: (line: string) => void;
}

export function readKioskStatus(sources: KioskStatusSources): KioskStatus {
  const refunds = sources.refunds();
  const sum = (state: string): { count: number; fen: number } => {
    const rows = refunds.filter((r) => r.state === state);
    return { count: rows.length, fen: rows.reduce((fen, r) => fen + r.amountFen, 0) };
  };
  return {
    lanes: sources.lanes().map((l) => ({
      lane: l.lane,
      productId: l.productId,
      stock: l.stock,
      capacity: l.capacity,
      enabled: l.enabled,
    })),
    board: sources.boardLink(),
    refundsPending: sum('pending'),
    refundsFailed: sum('failed'),
    outboxDepth: sources.outboxDepth(),
  };
}

/** What counts as a change: everything but the outbox depth, which moves with every sale (the heartbeat carries it). */
const changeKey = (s: KioskStatus): string => JSON.stringify({ ...s, outboxDepth: 0 });

export class KioskStatusReporter {
  #timer: NodeJS.Timeout | null = null;
  #lastKey: string | null = null;
  #lastAt = 0;

  constructor(private readonly options: KioskStatusOptions) {}

  start(): void {
    if (this.#timer) return;
    this.check();
    this.#timer = setInterval(() => this.check(), this.options.checkEveryMs ?? 15_000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Records a status if it changed since the last one or the heartbeat is due; true when it recorded one. */
  check(): boolean {
    try {
      const status = readKioskStatus(this.options.sources);
      const key = changeKey(status);
      const at = this.options.now();
      if (key === this.#lastKey && at - this.#lastAt < (this.options.heartbeatMs ?? 300_000)) return false;
      this.options.outbox.replaceUnsent(KIOSK_STATUS, status);
      this.#lastKey = key;
      this.#lastAt = at;
      return true;
    } catch (err) {
      // A status is a convenience for the operator: it never stops the kiosk.
      this.options.log?.(`kiosk status not recorded: ${(err as Error).message}`);
      return false;
    }
  }
}

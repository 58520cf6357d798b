// The board's POLL pace, chosen by what the customer is waiting for. A 0xFA 0xFB board is the master: the
// vend command can only leave in answer to a POLL, so once a payment is in, the goods wait on average half
// the POLL interval. The protocol lets the host set the interval (0x16, 100 ms – 2 s); a short one costs the
// link twice the frames and the agent a little CPU, so it is asked for only while an order is open — from
// the QR code on screen to the end of its vend — and the board goes back to the idle pace afterwards.
// docs/dispenser.md ("POLL pace") has the figures behind the defaults.

export interface PollPaceOptions {
  /** POLL interval while an order is open (a customer paying or waiting for the goods), ms. */
  readonly openMs: number;
  /** POLL interval otherwise, ms (the document's default is 200). */
  readonly idleMs: number;
  /** After the last open order ends, wait this long before slowing down (sales in a row do not toggle). */
  readonly idleAfterMs: number;
  /** Sends the interval to the board; true once the board acknowledged it. */
  readonly set: (ms: number) => Promise<boolean>;
  readonly log: (line: string) => void;
}

export class PollPace {
  private readonly open = new Set<string>();
  /** The interval last asked of the board. */
  private asked: number | null = null;
  private slowDown: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: PollPaceOptions) {
    // A known pace from the start: a board keeps what an earlier agent process set.
    this.ask(opts.idleMs);
  }

  /** An order changed: `isOpen` while its customer pays or waits for the goods. */
  order(key: string, isOpen: boolean): void {
    if (this.closed) return;
    if (isOpen) {
      this.open.add(key);
      this.cancelSlowDown();
      this.ask(this.opts.openMs);
      return;
    }
    if (!this.open.delete(key) || this.open.size > 0) return;
    this.cancelSlowDown();
    this.slowDown = setTimeout(() => {
      this.slowDown = null;
      this.ask(this.opts.idleMs);
    }, this.opts.idleAfterMs);
  }

  close(): void {
    this.closed = true;
    this.cancelSlowDown();
  }

  private cancelSlowDown(): void {
    if (this.slowDown) clearTimeout(this.slowDown);
    this.slowDown = null;
  }

  private ask(ms: number): void {
    if (this.closed || ms === this.asked) return;
    this.asked = ms;
    this.opts.set(ms).then(
      (acked) => {
        // Not acknowledged (link down): asked again at the next change; the driver itself sets it again
        // after a board restart.
        if (!acked && this.asked === ms) this.asked = null;
        this.opts.log(`POLL interval ${ms} ms ${acked ? 'set' : 'not acknowledged by the board'}`);
      },
      (err: unknown) => this.opts.log(`POLL interval ${ms} ms not set: ${(err as Error).message}`),
    );
  }
}

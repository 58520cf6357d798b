// Group commit: the writes submitted during one turn of the event loop run in one durable transaction (the
// caller's runBatch), and each submitter's promise settles only after that transaction committed, with its own
// result or error. The fsync is what bounds writes/s on SQLite; sharing it between concurrent notifies (and the
// acks that follow them) multiplies the rate without answering any notify before its own commit.
//
// The commit is synchronous: the event loop stands still during its fsync. Committed at the end of every turn,
// concurrent senders fall into step with it (one answer out per commit, so one new notify in per turn) and
// each notify pays a whole fsync alone. So when a commit took PACE_FROM_MS or more, the next batch is committed
// no sooner after it ended than it took (at most MAX_PACE_MS): in between the loop reads, verifies and queues
// whatever arrives, and the next fsync is shared by all of it. The thread then spends at most about half its
// time waiting on the disk, and a notify waits at most one more commit's time. A quicker commit is not paced:
// a timer cannot wait less than a millisecond, and the loop would idle longer than the fsync it saves.

export type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

type Pending = { op: () => unknown; resolve: (r: unknown) => void; reject: (e: Error) => void };

/** A commit that took this long (ms) paces the next one. */
export const PACE_FROM_MS = 1;
/** The longest a batch waits for the previous commit's time to pass (a disk that stalls for seconds). */
export const MAX_PACE_MS = 5;

/** A monotonic clock in ms and a timer on it. */
export interface PaceClock {
  now(): number;
  after(ms: number, fn: () => void): void;
}

const realClock: PaceClock = {
  now: () => performance.now(),
  after: (ms, fn) => void setTimeout(fn, ms),
};

export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled: Promise<void> | undefined;
  /** When the next batch may commit (the clock's ms). */
  #notBefore = 0;

  /**
   * runBatch runs every op in one transaction and returns one outcome per op, in order; a throw fails all.
   * clock: what measures a commit and waits before the next (a test's own).
   */
  constructor(
    private readonly runBatch: (ops: ReadonlyArray<() => unknown>) => Outcome[],
    private readonly clock: PaceClock = realClock,
  ) {}

  submit<R>(op: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as (r: unknown) => void, reject });
      this.#scheduled ??= new Promise<void>((done) => {
        const run = (): void => {
          this.#scheduled = undefined;
          this.#flush();
          done();
        };
        const wait = this.#notBefore - this.clock.now();
        // setImmediate runs after this turn's I/O callbacks: every notify body that completed in the same
        // poll phase joins the batch; a timer lets further turns join it too.
        if (wait > 0) this.clock.after(wait, run);
        else setImmediate(run);
      });
    });
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.#scheduled !== undefined) await this.#scheduled;
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    const started = this.clock.now();
    let outcomes: Outcome[];
    try {
      outcomes = this.runBatch(batch.map((b) => b.op));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const b of batch) b.reject(error);
      return;
    } finally {
      const ended = this.clock.now();
      const took = ended - started;
      this.#notBefore = took >= PACE_FROM_MS ? ended + Math.min(took, MAX_PACE_MS) : 0;
    }
    batch.forEach((b, i) => {
      const o = outcomes[i];
      if (o === undefined) b.reject(new Error('group commit returned no outcome for a write'));
      else if (o.ok) b.resolve(o.value);
      else b.reject(o.error);
    });
  }
}

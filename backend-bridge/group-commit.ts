// Group commit: the writes submitted during one turn of the event loop run in one durable transaction (the
// caller's runBatch), each in its own savepoint, and each submitter's promise settles only after that
// transaction committed, with its own result or error. The fsync is what bounds writes/s on SQLite; sharing
// it between concurrent notifies (and the acks that follow them) multiplies the rate without answering any
// notify before its own commit.

export type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

type Pending = { op: () => unknown; resolve: (r: unknown) => void; reject: (e: Error) => void };

export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled: Promise<void> | undefined;

  /** runBatch runs every op in one transaction and returns one outcome per op, in order; a throw fails all. */
  constructor(private readonly runBatch: (ops: ReadonlyArray<() => unknown>) => Outcome[]) {}

  submit<R>(op: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as (r: unknown) => void, reject });
      // setImmediate runs after this turn's I/O callbacks: every notify body that completed in the same
      // poll phase joins the batch.
      this.#scheduled ??= new Promise<void>((done) =>
        setImmediate(() => {
          this.#scheduled = undefined;
          this.#flush();
          done();
        }),
      );
    });
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.#scheduled !== undefined) await this.#scheduled;
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.runBatch(batch.map((b) => b.op));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const b of batch) b.reject(error);
      return;
    }
    batch.forEach((b, i) => {
      const o = outcomes[i];
      if (o === undefined) b.reject(new Error('group commit returned no outcome for a write'));
      else if (o.ok) b.resolve(o.value);
      else b.reject(o.error);
    });
  }
}

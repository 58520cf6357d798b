// Group commit: the records submitted during one turn of the event loop are written by one call (one durable
// transaction), and each submitter's promise settles only after that call returned, with its own result or
// error. The fsync is what bounds notifies/s on SQLite; sharing it between concurrent notifies multiplies
// the rate without answering any notify before its own commit.

type Settle<R> = { resolve: (r: R) => void; reject: (e: Error) => void };

export class GroupCommit<T, R> {
  #queue: Array<{ item: T } & Settle<R>> = [];
  #scheduled: Promise<void> | undefined;

  /** `commit` writes a batch and returns one result (or Error) per item, in order; a throw fails them all. */
  constructor(private readonly commit: (batch: readonly T[]) => Array<R | Error>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
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
    let results: Array<R | Error>;
    try {
      results = this.commit(batch.map((b) => b.item));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const b of batch) b.reject(error);
      return;
    }
    batch.forEach((b, i) => {
      const r = results[i];
      if (r instanceof Error) b.reject(r);
      else if (r === undefined) b.reject(new Error('group commit returned no result for a record'));
      else b.resolve(r);
    });
  }
}

// The newest committed event of each kiosk written to lately, kept in memory so that pushing an event just
// stored costs no read: after a commit, every connected kiosk's stream asks the log for the events after
// the one it holds, and that is, nearly always, exactly the event just committed. Anything else (a replay,
// a kiosk several events behind, an event older than the newest) is read from the database as before.
import type { RelayEvent } from './store.ts';

export class RecentEvents {
  readonly #newest = new Map<string, RelayEvent>();

  /** capacity: kiosks remembered; the one written to longest ago is forgotten first. */
  constructor(private readonly capacity: number) {}

  /** Call only once the event's transaction committed, in seq order. */
  committed(kioskId: string, event: RelayEvent): void {
    this.#newest.delete(kioskId); // re-inserted last: Map order is the forgetting order
    this.#newest.set(kioskId, event);
    if (this.#newest.size > this.capacity) {
      const oldest = this.#newest.keys().next();
      if (oldest.done !== true) this.#newest.delete(oldest.value);
    }
  }

  /**
   * The events after `afterSeq` when memory knows them all: none when the newest is at afterSeq (a stream
   * that has sent its last frame asks once more), the newest alone when it is the very next; else undefined.
   */
  after(kioskId: string, afterSeq: number): RelayEvent[] | undefined {
    const newest = this.#newest.get(kioskId);
    if (newest === undefined) return undefined;
    if (newest.seq === afterSeq) return [];
    return newest.seq === afterSeq + 1 ? [newest] : undefined;
  }
}

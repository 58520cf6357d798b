// The relay cursor kept in memory, for tests that read it directly or script a write that fails (a full
// disk); the other link tests use the kiosk's real SQLite cursor.
import type { RelayCursorPort } from '../../../app/link/index.ts';

export class MemoryCursor implements RelayCursorPort {
  seq = 0;
  private relayEpoch: string | undefined;

  /** `beforeAdvance` runs before each advance and may throw, as a write to a full disk does. */
  constructor(private readonly beforeAdvance: () => void = () => {}) {}

  get(): number {
    return this.seq;
  }

  advance(seq: number): void {
    this.beforeAdvance();
    this.seq = Math.max(this.seq, seq);
  }

  epoch(): string | undefined {
    return this.relayEpoch;
  }

  resync(epoch: string, seq: number): void {
    this.relayEpoch = epoch;
    this.seq = seq;
  }
}

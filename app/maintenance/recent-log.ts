// The agent's last log lines, kept in memory for the technicians' screen (the full log is the journal).
// Log lines never carry keys, tokens or PINs (docs/operations.md), so they may be shown.
export class RecentLog {
  private readonly lines: { at: number; line: string }[] = [];

  constructor(
    private readonly capacity = 50,
    private readonly now: () => number = Date.now,
  ) {}

  add(line: string): void {
    this.lines.push({ at: this.now(), line: line.slice(0, 500) });
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  /** Newest last. */
  recent(limit = this.capacity): { at: number; line: string }[] {
    return this.lines.slice(-limit);
  }
}

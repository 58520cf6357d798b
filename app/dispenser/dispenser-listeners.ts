// The listeners of one driver's events. A listener that throws is logged and skipped: a bug in the UI's
// handler must never break the serial link that called it.
import type { DispenserEvent } from './dispenser.ts';

export class DispenserListeners {
  private readonly listeners = new Set<(event: DispenserEvent) => void>();

  constructor(private readonly log: (line: string) => void) {}

  add(listener: (event: DispenserEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: DispenserEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log(`event listener threw: ${(err as Error).message}`);
      }
    }
  }
}

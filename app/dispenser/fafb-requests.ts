// Requests that expect a reply packet from the board, and the replies' strict pairing: a reply goes only to a
// waiter for its own command (0x02 answers 0x01, 0x52 answers 0x51, 0x54 answers 0x53, 0x11 follows 0x31).
import type { FafbCommandQueue } from './fafb-command-queue.ts';

interface ReplyWaiter {
  readonly cmd: number;
  readonly match: (text: Buffer) => boolean;
  readonly resolve: (text: Buffer | null) => void;
}

export class FafbRequests {
  private readonly waiters = new Set<ReplyWaiter>();

  constructor(private readonly commands: FafbCommandQueue) {}

  /** Offers a reply packet to the waiters; true when one (or more, asking the same) took it. */
  deliver(cmd: number, text: Buffer): boolean {
    let taken = false;
    for (const waiter of this.waiters) {
      if (waiter.cmd === cmd && waiter.match(text)) {
        this.waiters.delete(waiter);
        waiter.resolve(text);
        taken = true;
      }
    }
    return taken;
  }

  /** Sends a command and waits for the board's reply packet; null when it did not come. */
  request(
    cmd: number,
    text: readonly number[],
    label: string,
    reply: { cmd: number; match: (t: Buffer) => boolean; timeoutMs: number },
  ): Promise<Buffer | null> {
    return new Promise((resolve) => {
      let done = false;
      const settle = (value: Buffer | null): void => {
        if (done) return;
        done = true;
        cancelTimeout();
        this.waiters.delete(waiter);
        resolve(value);
      };
      const waiter: ReplyWaiter = { cmd: reply.cmd, match: reply.match, resolve: settle };
      // The answer time counts from the send: waiting for a POLL slot (behind other commands, or while the
      // board sends its own packets) is the send timeout's business.
      let cancelTimeout = (): void => {};
      this.waiters.add(waiter);
      this.commands.submit(cmd, text, label, {
        onSent: () => {
          cancelTimeout = this.commands.timeout(reply.timeoutMs, () => settle(null));
        },
        onSettled: (r) => {
          if (r === 'not_sent') settle(null);
        },
      });
    });
  }

  /** Sends a command; true once the board ACKed it. */
  sendAndConfirm(cmd: number, text: readonly number[], label: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.commands.submit(cmd, text, label, { onSettled: (r) => resolve(r === 'acked') });
    });
  }

  /** On close: every waiter gets null. */
  cancelAll(): void {
    for (const w of [...this.waiters]) w.resolve(null);
  }
}

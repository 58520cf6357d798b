// The board's own numbering of its data packets, read for two things: retransmissions (a packet repeating
// the last PackNO is ACKed again, not acted on) and restarts (a board-sent 0x31, or a PackNO that went back).
import { FafbCmd } from './fafb-frame.ts';

export type BoardPacketVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'retransmission' }
  /** The board restarted; the packet itself is new and is acted on after the restart is handled. */
  | { readonly kind: 'restart'; readonly reason: string };

/**
 * How far forward the board's PackNO may jump and still be its own sequence: a packet the board gave up on
 * (after 5 resends we never ACKed) costs one number. A bigger jump is read as the sequence starting over.
 */
const MAX_FORWARD_JUMP = 16;

export class BoardSequence {
  private last: number | null = null;
  private lastWasSync = false;

  /** The board's last PackNO seen (null before its first data packet). */
  get lastPackNo(): number | null {
    return this.last;
  }

  /**
   * The board POLLed: it has nothing left to resend, so its next 0x31 is a new restart even if it carries the
   * same PackNO as the last one (a board that restarts twice while idle numbers both syncs 1).
   */
  polled(): void {
    this.lastWasSync = false;
  }

  /** Classifies one data packet from the board (POLL and ACK carry no PackNO and never come here). */
  accept(cmd: number, packNo: number): BoardPacketVerdict {
    const last = this.last;
    const isSync = cmd === FafbCmd.INFO_SYNC;
    if (packNo === last && (!isSync || this.lastWasSync)) return { kind: 'retransmission' };
    this.last = packNo;
    this.lastWasSync = isSync;
    // The document: the board sends 0x31 when it powers up or resets, until it is ACKed.
    if (isSync) return { kind: 'restart', reason: `the board sent 0x31 (restarted), PackNO ${packNo}` };
    if (last !== null) {
      const forward = (packNo - last + 255) % 255;
      if (forward > MAX_FORWARD_JUMP) {
        return { kind: 'restart', reason: `the board's PackNO went back from ${last} to ${packNo}` };
      }
    }
    return { kind: 'new' };
  }
}

// What the ZDM8 driver knows about the board's result register 0x0003: a final state (success / failed +
// fault) stays there until it is read, and the driver reads it right before every vend write, so the register
// is the evidence recovery reads after an agent restart. This tracks whether the register may hold a result
// nobody has read yet, and whether this process has sent a vend command (after which a result it finds is no
// longer the previous process's).
import { LATCH_CLEAR_MARK, type VendMark } from './dispenser.ts';

/** High byte of register 0x0003. */
export const ZDM8_STATE = { IDLE: 0, RUNNING: 1, SUCCESS: 2, FAILED: 3 } as const;

export class Zdm8Latch {
  /**
   * `unknown` at start (the previous process may have left a result), `unread` from a vend write (or a motor
   * seen running) until the result is read, `clear` once the board was read idle or its final state read.
   */
  private state: 'unknown' | 'clear' | 'unread' = 'unknown';
  private sent = false;
  private queued = 0;

  /** True while a read of 0x0003 is still owed: the heartbeat reads it instead of the drop detector. */
  get owed(): boolean {
    return this.state !== 'clear';
  }

  /** No vend command has left this process yet: a result found now is the previous process's. */
  get beforeFirstCommand(): boolean {
    return !this.sent;
  }

  /** The board's state byte as just read: a final state is reset to idle by the read itself. */
  read(state: number): void {
    this.state = state === ZDM8_STATE.RUNNING ? 'unread' : 'clear';
  }

  /** A vend write is about to be sent: its result will be latched. */
  writing(): void {
    this.sent = true;
    this.state = 'unread';
  }

  /** The board refused the write (Modbus exception): nothing was latched. */
  refused(): void {
    this.state = 'clear';
  }

  queue(): void {
    this.queued++;
  }

  dequeue(): void {
    this.queued--;
  }

  /**
   * The mark for a vend intent: only when the register holds nothing unread and no vend is queued, so that
   * the next result the board latches can only come from a vend commanded after this intent.
   */
  mark(): VendMark | null {
    return this.state === 'clear' && this.queued === 0 ? LATCH_CLEAR_MARK : null;
  }
}

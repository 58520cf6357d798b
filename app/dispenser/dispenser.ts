// The Dispenser interface the sale logic depends on. Every board protocol (0xFA 0xFB VMC, ZDM8 Modbus, …)
// implements it; nothing above app/dispenser knows which board is attached.

/** A lane (selection) number as the board numbers it, 1-based. */
export type Lane = number;

/**
 * The three-way result of one vend. "unverified" means the motor ran but no drop was seen (or the board could
 * not say): the goods may or may not have come out, so it is never retried and never silently counted as
 * delivered.
 */
export type VendOutcome =
  | { readonly kind: 'delivered'; readonly dropConfirmed: boolean }
  /**
   * `code` is present exactly when the board itself reported the failure (a jam, a missing motor, a lane it
   * calls empty, a motor run without a drop): the lane needs a technician. Without it the board said nothing
   * about the lane (no answer, link lost, a restart).
   */
  | { readonly kind: 'not_delivered'; readonly reason: string; readonly code?: number }
  | { readonly kind: 'unverified'; readonly reason: string; readonly code?: number };

export type LaneState = 'ok' | 'empty' | 'missing' | 'paused' | 'jammed' | 'fault' | 'unknown';

export interface LaneStatus {
  readonly lane: Lane;
  readonly state: LaneState;
  /** Technician-readable reason, e.g. "main motor fault (0x11)". */
  readonly detail: string;
}

export interface MachineStatus {
  readonly doorOpen: boolean | null;
  readonly temperatureC: number | null;
  readonly lift: 'ok' | 'product_in_elevator' | 'door_open' | 'error' | 'absent' | null;
  readonly detail: string;
}

export interface DispenserCapabilities {
  readonly dropSensor: boolean;
  readonly lift: boolean;
}

export type LinkState = 'up' | 'down';

/**
 * Where the board's own reporting stood when a vend intent was committed: recovery after an agent restart
 * accepts a late report as this vend's result only if it follows this mark (see app/sale/vend-recovery.ts).
 * `boardSeq` is the 0xFA 0xFB board's last PackNO seen; its reports carry no transaction id, so the board's
 * numbering is the only thing that ties a report to the vend that was in flight. A board that latches the
 * result of its last vend command until it is read (ZDM8) gives {@link LATCH_CLEAR_MARK} instead.
 */
export interface VendMark {
  readonly boardSeq: number;
}

/**
 * The mark of a latching board (ZDM8): the board held no unread result and no other vend was queued when the
 * intent was committed, so the next result the board latches is this vend's (or a later one's). Only its
 * presence counts; the number means nothing.
 */
export const LATCH_CLEAR_MARK: VendMark = { boardSeq: 0 };

/** A final (or progress) report from the board that no vend of this process was waiting for. */
export interface UnclaimedReport {
  readonly type: 'unclaimed_report';
  readonly lane: Lane;
  /** The board's status code (0x04 text[0] on 0xFA 0xFB boards). */
  readonly code: number;
  /** The board's PackNO of the report. */
  readonly boardSeq: number;
  /** The code read with the driver's code table and drop-sensor setting, exactly as a live vend would. */
  readonly outcome: VendOutcome | 'in_progress';
}

/**
 * The final result a latching board (ZDM8) still held for the last vend command it took, found by this process
 * before it sent a vend command of its own: so it is the result of the previous process's last command. It
 * names no lane. A motor still turning is waited for by the driver; only a final result is reported.
 */
export interface LatchedResult {
  readonly type: 'latched_result';
  /** The board's raw result (ZDM8: register 0x0003, state << 8 | fault). */
  readonly code: number;
  /** Read with the driver's fault table and drop-sensor setting, exactly as a live vend would. */
  readonly outcome: VendOutcome;
}

export type DispenserEvent =
  | { readonly type: 'link'; readonly state: LinkState; readonly detail: string }
  | UnclaimedReport
  | LatchedResult
  | { readonly type: 'fully_loaded' }
  | { readonly type: 'fault'; readonly detail: string; readonly lane?: Lane };

export interface Dispenser {
  readonly capabilities: DispenserCapabilities;
  /** Current link state: 'up' once the board has been heard from recently. */
  readonly linkState: LinkState;
  /**
   * Vend one item from a lane. `txn` identifies the vend in logs (the board protocol may not carry it).
   * Resolves with the outcome; rejects only on programming errors, never on board faults.
   */
  vend(lane: Lane, txn: string): Promise<VendOutcome>;
  laneStatus(lane: Lane): Promise<LaneStatus>;
  machineStatus(): Promise<MachineStatus>;
  onEvent(listener: (event: DispenserEvent) => void): () => void;
  /**
   * Boards that keep their own stock count (and refuse a lane they think is empty) take a technician's count
   * here. Resolves false when the board did not confirm. Absent on boards that do not count stock.
   */
  setStock?(lane: Lane, stock: number): Promise<boolean>;
  /**
   * Boards whose late reports can be tied to a vend give the mark to store with each vend intent: 0xFA 0xFB
   * its last PackNO (null while the board has not numbered a packet yet), ZDM8 {@link LATCH_CLEAR_MARK} (null
   * while the board may hold an unread result or another vend is queued). Absent or null: recovery finds no
   * evidence for that vend.
   */
  vendMark?(): VendMark | null;
  close(): Promise<void>;
}

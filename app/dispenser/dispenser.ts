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

export type DispenserEvent =
  | { readonly type: 'link'; readonly state: LinkState; readonly detail: string }
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
  close(): Promise<void>;
}

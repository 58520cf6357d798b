// One vend on a 0xFA 0xFB board, from the selection check to the final 0x04. The board's replies carry no
// transaction id, so attribution is strict: a final 0x04 counts only after this vend's 0x06 was ACKed or the
// board reported the motor starting; anything earlier is a leftover of an earlier vend, logged and not used.
import type { Lane, VendOutcome } from './dispenser.ts';
import type { FafbBoardProfile } from './fafb-codes.ts';
import { dispenseStatusName, dispenseStatusOutcome, selectionStatus } from './fafb-codes.ts';
import type { FafbCommandQueue, OutCommand, SendResult } from './fafb-command-queue.ts';
import { FafbCmd } from './fafb-frame.ts';

export interface VendContext {
  readonly dropSensor: boolean;
  readonly lift: boolean;
  readonly profile: FafbBoardProfile;
  readonly vendResultTimeoutMs: number;
  readonly commandSendTimeoutMs: number;
  readonly commands: FafbCommandQueue;
  /** 0x01 → the board's 0x02 text for this lane, or null when it did not answer. */
  checkLane(lane: Lane): Promise<Buffer | null>;
  /** The board's recent "normal" for this lane, still valid (taken once), instead of asking again; or null. */
  freshCheck(lane: Lane): Buffer | null;
  /**
   * An unanswered lane check, or a 0x06 that never left the queue, is tried again once the link is back,
   * until this long after the vend began (nothing that can run a motor has gone out, so it is safe).
   */
  readonly laneCheckWithinMs: number;
  /** Resolves true once the board is POLLing (at once if it is), false after `ms` or when the driver closes. */
  waitForLink(ms: number): Promise<boolean>;
  readonly log: (line: string) => void;
  /** Called once with the final outcome; `jammed` when the board reported the lane jammed (0x04 code 03). */
  finished(lane: Lane, outcome: VendOutcome, jammed: boolean): void;
}

/**
 * checking: 0x01 asked, nothing that can run a motor sent. queued: 0x06 waiting for a POLL. sent: 0x06 on the
 * wire, not yet ACKed. accepted: ACKed, or the board reported dispensing.
 */
export type VendPhase = 'checking' | 'queued' | 'sent' | 'accepted';

/** Lane checks per vend at most (each one waits for its answer or its timeout). */
const MAX_ATTEMPTS = 4;

const sel = (lane: number): [number, number] => [(lane >> 8) & 0xff, lane & 0xff];

export class VendJob {
  phase: VendPhase = 'checking';
  private command: OutCommand | null = null;
  private cancelResultTimeout: (() => void) | null = null;
  private done = false;
  /** The pre-send attempts (lane check, 0x06 queued) end by this performance.now(). */
  private deadline = 0;
  private attempts = 0;
  private resolve: (o: VendOutcome) => void = () => {};
  readonly result: Promise<VendOutcome>;

  constructor(
    private readonly ctx: VendContext,
    readonly lane: Lane,
    readonly txn: string,
  ) {
    this.result = new Promise((resolve) => (this.resolve = resolve));
  }

  get finished(): boolean {
    return this.done;
  }

  /** True once a 0x06 of this vend may have reached the board. */
  get mayHaveRun(): boolean {
    return this.phase === 'sent' || this.phase === 'accepted';
  }

  async run(): Promise<VendOutcome> {
    this.deadline = performance.now() + this.ctx.laneCheckWithinMs;
    await this.checkThenSend();
    return this.result;
  }

  /**
   * The lane check, then the 0x06. A check that goes unanswered (the board was off: a reset, a replug) and a
   * 0x06 that never left the queue are lost sales, not faults: both are tried again once the link is back,
   * until `laneCheckWithinMs` after the vend began and at most `MAX_ATTEMPTS` times. Only before anything
   * that can run a motor went out: the phase is `checking` again only after the 0x06 ended `not_sent`.
   */
  private async checkThenSend(): Promise<void> {
    this.attempts++;
    const fresh = this.attempts === 1 ? this.ctx.freshCheck(this.lane) : null;
    if (fresh) this.ctx.log(`vend ${this.txn} lane ${this.lane}: the board called the lane normal just now`);
    const reply = fresh ?? (await this.ctx.checkLane(this.lane));
    if (this.done) return;
    if (!reply) {
      if (await this.mayTryAgain('the selection check went unanswered')) return this.checkThenSend();
      this.finish({
        kind: 'not_delivered',
        reason: 'the board did not answer the selection check; the vend was not sent',
      });
      return;
    }
    const status = reply[0] ?? 0;
    if (status !== 0x01) {
      // The board refused the lane before any motor command: nothing can have come out.
      const s = selectionStatus(status);
      this.finish({ kind: 'not_delivered', reason: `board refused the lane: ${s.detail}`, code: status });
      return;
    }
    this.phase = 'queued';
    const flags = [this.ctx.dropSensor ? 1 : 0, this.ctx.lift ? 1 : 0];
    this.command = this.ctx.commands.submit(
      FafbCmd.DRIVE_DIRECT,
      [...flags, ...sel(this.lane)],
      `vend ${this.txn} lane ${this.lane}`,
      { once: true, onSent: () => this.onSent(), onSettled: (r) => this.onSettled(r) },
    );
  }

  /** Waits for the link when nothing of this vend reached the board and time and attempts are left. */
  private async mayTryAgain(why: string): Promise<boolean> {
    if (this.phase !== 'checking' || this.attempts >= MAX_ATTEMPTS) return false;
    const left = this.deadline - performance.now();
    if (left <= 0 || !(await this.ctx.waitForLink(left)) || this.done) return false;
    this.ctx.log(`vend ${this.txn} lane ${this.lane}: ${why}; checking the lane again`);
    return true;
  }

  private async notSent(): Promise<void> {
    // No byte of the 0x06 reached the board (it never POLLed for it): back to the lane check, which also
    // tells whether the lane is still sellable on a board that restarted meanwhile.
    this.phase = 'checking';
    this.command = null;
    if (await this.mayTryAgain('the vend command was never sent')) return this.checkThenSend();
    this.finish({
      kind: 'not_delivered',
      reason: `vend command never sent: the board did not POLL within ${this.ctx.commandSendTimeoutMs} ms`,
    });
  }

  /** A 0x04 for this vend's lane. */
  onDispenseStatus(status: number): void {
    if (this.done) return;
    const outcome = dispenseStatusOutcome(status, this.ctx.dropSensor, this.ctx.profile);
    if (this.phase === 'checking' || this.phase === 'queued') {
      this.ctx.log(`stale dispensing status for lane ${this.lane} before vend ${this.txn} was sent: ignored`);
      return;
    }
    if (this.phase === 'sent') {
      if (outcome !== 'in_progress') {
        this.ctx.log(
          `stale final status ${dispenseStatusName(status)} for lane ${this.lane} before vend ${this.txn} was ACKed: ignored`,
        );
        return;
      }
      // "Dispensing" for our lane after our 0x06: the board took the command even if its ACK was lost.
      if (this.command) this.ctx.commands.confirmed(this.command);
      this.phase = 'accepted';
    }
    if (outcome === 'in_progress') {
      this.ctx.log(`lane ${this.lane}: ${dispenseStatusName(status)}`);
      return;
    }
    this.finish(outcome, status === 0x03);
  }

  /** The board restarted or the link was lost: a vend that may have reached the board ends unverified. */
  interrupted(reason: string): void {
    if (this.done || !this.mayHaveRun) return;
    this.finish({ kind: 'unverified', reason: `${reason} while vending; the vend is never sent again` });
  }

  finish(outcome: VendOutcome, jammed = false): void {
    if (this.done) return;
    this.done = true;
    this.cancelResultTimeout?.();
    if (this.command) this.ctx.commands.withdraw(this.command);
    this.ctx.log(
      `vend ${this.txn} lane ${this.lane}: ${outcome.kind}${'reason' in outcome ? ` (${outcome.reason})` : ''}`,
    );
    this.ctx.finished(this.lane, outcome, jammed);
    this.resolve(outcome);
  }

  private onSent(): void {
    this.phase = 'sent';
    this.cancelResultTimeout = this.ctx.commands.timeout(this.ctx.vendResultTimeoutMs, () =>
      this.finish({
        kind: 'unverified',
        reason: `no dispensing result from the board within ${this.ctx.vendResultTimeoutMs} ms`,
      }),
    );
  }

  private onSettled(result: SendResult): void {
    switch (result) {
      case 'acked':
        if (this.phase === 'sent') this.phase = 'accepted';
        return;
      case 'not_sent':
        void this.notSent();
        return;
      case 'abandoned':
        this.finish({
          kind: 'unverified',
          reason: 'the board may have restarted before acknowledging the vend; it may or may not have run',
        });
        return;
      default:
        // Never ACKed: a final status could not be told from a leftover, so waiting would not help.
        this.finish({
          kind: 'unverified',
          reason: 'the board did not acknowledge the vend command; it may or may not have run',
        });
    }
  }
}

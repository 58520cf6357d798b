// The 0xFA 0xFB VMC driver, upper-computer side (shared/protocols/vmc-fafb.md). This file is the frame
// dispatch and the link state; the parts live beside it: the port (port-keeper.ts), the command queue and
// retransmits (fafb-command-queue.ts), the board's numbering and restarts (fafb-board-sequence.ts), one vend
// (fafb-vend.ts), replies to requests (fafb-requests.ts) and the maintenance commands (fafb-maintenance.ts).
// The board is the master: each POLL is answered at once, synchronously, from memory. Nothing on that path
// awaits SQLite or the network.
import type { Duplex } from 'node:stream';
import { DispenserListeners } from './dispenser-listeners.ts';
import type {
  Dispenser,
  DispenserCapabilities,
  DispenserEvent,
  Lane,
  LaneStatus,
  LinkState,
  MachineStatus,
  VendMark,
  VendOutcome,
} from './dispenser.ts';
import { BoardSequence } from './fafb-board-sequence.ts';
import { GENERIC_BOARD_PROFILE, dispenseStatusName, dispenseStatusOutcome } from './fafb-codes.ts';
import type { FafbBoardProfile } from './fafb-codes.ts';
import { FafbCommandQueue } from './fafb-command-queue.ts';
import { ACK_FRAME, FafbCmd, FafbFrameParser, hex } from './fafb-frame.ts';
import type { FafbFrame } from './fafb-frame.ts';
import * as maintenance from './fafb-maintenance.ts';
import type { LaneInfo, MaintenanceContext } from './fafb-maintenance.ts';
import { FafbDispenserError, checkLane, selectionOf } from './fafb-maintenance.ts';
import { FafbRequests } from './fafb-requests.ts';
import { VendJob } from './fafb-vend.ts';
import { PortKeeper } from './port-keeper.ts';

export { FafbDispenserError } from './fafb-maintenance.ts';
export type { LaneInfo } from './fafb-maintenance.ts';

/** A timer this late means the agent's own event loop was stalled, not that the board was quiet. */
const STALL_MS = 100;

export interface FafbTiming {
  /** Link goes 'down' when nothing valid was heard from the board for this long. */
  readonly linkDownAfterMs: number;
  /**
   * A gap this long between two frames from the board may have been a restart (a brown-out, a watchdog) of
   * a board that does not announce itself: a vend command not yet ACKed is then never resent.
   */
  readonly restartGapMs: number;
  /** A command not acknowledged is resent on a following POLL, at most this many times. */
  readonly maxRetransmits: number;
  /** ... but not sooner than this after its last copy (the document's answer time): its ACK may be on the way. */
  readonly retransmitAfterMs: number;
  /** A queued command that could not be put on the wire this long after it was asked for is dropped. */
  readonly commandSendTimeoutMs: number;
  /** From the vend command's first send to the final 0x04 status. */
  readonly vendResultTimeoutMs: number;
  /** Lane / machine status queries give up (state 'unknown') after this long. */
  readonly statusTimeoutMs: number;
  /**
   * A vend's lane check that went unanswered (board reset, replug) is asked again once the link is back,
   * until this long after the vend began; then the vend ends not_delivered (no motor command was sent).
   */
  readonly laneCheckWithinMs: number;
  /**
   * A vend skips its own lane check when the board called the lane normal this recently (a check made while
   * the customer was paying) and nothing has happened since that could change it. 0 = always check.
   */
  readonly laneCheckFreshMs: number;
  /** After this much silence the port is closed and reopened (an unplugged USB adapter sends no event). 0 = never. */
  readonly reopenAfterSilenceMs: number;
  readonly reopenBackoffMs: number;
  readonly reopenBackoffMaxMs: number;
}

export const DEFAULT_FAFB_TIMING: FafbTiming = {
  linkDownAfterMs: 1500,
  restartGapMs: 600,
  maxRetransmits: 5,
  retransmitAfterMs: 100,
  commandSendTimeoutMs: 3000,
  vendResultTimeoutMs: 60_000,
  statusTimeoutMs: 3000,
  laneCheckWithinMs: 10_000,
  laneCheckFreshMs: 60_000,
  reopenAfterSilenceMs: 2000,
  reopenBackoffMs: 250,
  reopenBackoffMaxMs: 5000,
};

export interface FafbDispenserOptions {
  /** Opens (or reopens, after a loss) the serial line. Called again with backoff while it fails. */
  readonly openPort: () => Promise<Duplex>;
  /** Ask the board to confirm each vend with its drop sensor (0x06 byte 1). */
  readonly dropSensor: boolean;
  /** The machine has an elevator (0x06 byte 2, and 0x53 lift status). */
  readonly lift?: boolean;
  /** The board model's reading of the 0x04 codes; default: the document alone, read conservatively. */
  readonly profile?: FafbBoardProfile;
  readonly log?: (line: string) => void;
  readonly timing?: Partial<FafbTiming>;
}

export interface FafbStats {
  readonly polls: number;
  readonly commandsSent: number;
  readonly retransmits: number;
  readonly duplicatesIgnored: number;
  /** Board restarts seen (a board-sent 0x31, or its PackNO going back). */
  readonly boardRestarts: number;
  readonly badXor: number;
  readonly garbageBytes: number;
  readonly reopens: number;
}

/** The Dispenser plus the maintenance commands of the 0xFA 0xFB protocol. */
export interface FafbDispenser extends Dispenser {
  /** Technician test vend: exactly a vend (the board has no separate test command in direct-drive mode). */
  testVend(lane: Lane, txn: string): Promise<VendOutcome>;
  /** 0x13: set the board's stock count for a lane (0 = all lanes). Resolves true once the board ACKed. */
  setStock(lane: Lane, stock: number): Promise<boolean>;
  /** 0x14: set a lane's capacity (0 = all lanes). */
  setCapacity(lane: Lane, capacity: number): Promise<boolean>;
  /** 0x16: set the board's POLL interval (100 ms – 2 s in steps of 100 ms); sent again after a board restart. */
  setPollInterval(ms: number): Promise<boolean>;
  /** 0x31 information sync, then the board's 0x11 report for that lane; null if it did not come. */
  readLaneInfo(lane: Lane): Promise<LaneInfo | null>;
  stats(): FafbStats;
}

export function createFafbDispenser(opts: FafbDispenserOptions): FafbDispenser {
  return new FafbDriver(opts);
}

class FafbDriver implements FafbDispenser {
  readonly capabilities: DispenserCapabilities;
  private readonly timing: FafbTiming;
  private readonly log: (line: string) => void;
  private readonly listeners: DispenserListeners;
  private readonly port: PortKeeper;
  private readonly commands: FafbCommandQueue;
  private readonly requests: FafbRequests;
  private readonly sequence = new BoardSequence();
  private readonly maint: MaintenanceContext;

  private parser: FafbFrameParser | null = null;
  private link: LinkState = 'down';
  private closed = false;
  private silenceTimer: NodeJS.Timeout | null = null;
  private silenceGraced = false;
  private lastFrameAt = 0;
  private opened = false;

  private vendChain: Promise<unknown> = Promise.resolve();
  private currentVend: VendJob | null = null;
  /** Vends waiting for the link to come back (to ask their lane check again); told on close. */
  private readonly linkWaiters = new Set<(up: boolean) => void>();
  /** The POLL interval asked for with 0x16, and whether the board has acknowledged it since its last restart. */
  private pollInterval: { ms: number; onBoard: boolean } | null = null;
  private readonly counters = { polls: 0, duplicatesIgnored: 0, boardRestarts: 0 };

  constructor(private readonly opts: FafbDispenserOptions) {
    this.capabilities = { dropSensor: opts.dropSensor, lift: opts.lift ?? false };
    this.timing = { ...DEFAULT_FAFB_TIMING, ...opts.timing };
    this.log = opts.log ?? (() => {});
    this.listeners = new DispenserListeners(this.log);
    this.commands = new FafbCommandQueue({
      maxRetransmits: this.timing.maxRetransmits,
      retransmitAfterMs: this.timing.retransmitAfterMs,
      commandSendTimeoutMs: this.timing.commandSendTimeoutMs,
      write: (bytes) => this.port.write(bytes),
      log: this.log,
      linkUp: () => this.link === 'up',
    });
    this.requests = new FafbRequests(this.commands);
    this.maint = {
      requests: this.requests,
      statusTimeoutMs: this.timing.statusTimeoutMs,
      lift: this.capabilities.lift,
      link: () => this.link,
      jammedLanes: new Map(),
      normalLanes: new Map(),
      checksInFlight: new Map(),
    };
    this.port = new PortKeeper({
      open: opts.openPort,
      backoffMs: this.timing.reopenBackoffMs,
      backoffMaxMs: this.timing.reopenBackoffMaxMs,
      log: this.log,
      onOpen: (stream) => this.attach(stream),
      onLost: (reason) => {
        this.parser = null;
        this.clearSilenceTimer();
        this.setLinkDown(reason);
      },
    });
  }

  get linkState(): LinkState {
    return this.link;
  }

  onEvent(listener: (event: DispenserEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  stats(): FafbStats {
    return {
      ...this.counters,
      ...this.commands.counters,
      badXor: this.parser?.stats.badXor ?? 0,
      garbageBytes: this.parser?.stats.garbageBytes ?? 0,
      reopens: this.port.reopens,
    };
  }

  // ---------------------------------------------------------------- port and link

  private attach(stream: Duplex): void {
    const parser = new FafbFrameParser((reason, bytes) => {
      if (reason === 'bad_xor') this.log(`dropped frame with bad XOR starting ${hex(bytes)}`);
    });
    this.parser = parser;
    stream.on('data', (chunk: Buffer) => parser.write(chunk));
    parser.on('data', (frame: FafbFrame) => this.onFrame(frame));
    // The start-up sequence of the document: the host sends its own 0x31 first. It also spends the first
    // PackNO of this process on a command that is harmless to drop (see FafbCommandQueue.requireSync).
    if (!this.opened) this.commands.requireSync();
    this.opened = true;
    this.armSilenceTimer();
    this.log('port open, waiting for the board to POLL');
  }

  /** One timer measures silence: first it takes the link down, then (if still silent) reopens the port. */
  private armSilenceTimer(): void {
    this.clearSilenceTimer();
    const port = this.port.stream;
    const due = performance.now() + this.timing.linkDownAfterMs;
    const silent = (): void => {
      // Fired late: this process was busy, and bytes that came in meanwhile are read only after the timers
      // have run. Give them a moment before calling the board silent (a frame re-arms this timer).
      if (performance.now() - due > STALL_MS && this.silenceTimer !== null && !this.silenceGraced) {
        this.silenceGraced = true;
        this.silenceTimer = setTimeout(silent, STALL_MS);
        return;
      }
      this.setLinkDown(`no POLL from the board for ${this.timing.linkDownAfterMs} ms`);
      const rest = this.timing.reopenAfterSilenceMs - this.timing.linkDownAfterMs;
      if (this.timing.reopenAfterSilenceMs <= 0 || port === null) return;
      this.silenceTimer = setTimeout(
        () => this.port.lost(port, `board silent for ${this.timing.reopenAfterSilenceMs} ms`),
        Math.max(0, rest),
      );
    };
    this.silenceGraced = false;
    this.silenceTimer = setTimeout(silent, this.timing.linkDownAfterMs);
  }

  private clearSilenceTimer(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }

  private setLinkUp(): void {
    if (this.link === 'up') return;
    this.link = 'up';
    this.port.resetBackoff();
    this.log('link up');
    this.listeners.emit({ type: 'link', state: 'up', detail: 'board is polling' });
    if (this.pollInterval && !this.pollInterval.onBoard) this.resendPollInterval('link up');
  }

  private setLinkDown(reason: string): void {
    this.lostContact(`link to the board lost (${reason})`);
    if (this.link === 'down') return;
    this.link = 'down';
    this.log(`link down: ${reason}`);
    this.listeners.emit({ type: 'link', state: 'down', detail: reason });
  }

  /** Link loss and board restart alike: what may have reached the board is settled, never resent. */
  private lostContact(reason: string): void {
    // The board may have been changed or restarted meanwhile: what it said of its lanes is not reused.
    this.maint.normalLanes.clear();
    this.maint.checksInFlight.clear();
    this.currentVend?.interrupted(reason);
    this.commands.linkBroken(reason);
  }

  private boardRestarted(reason: string): void {
    this.counters.boardRestarts++;
    this.log(`board restart: ${reason}`);
    this.lostContact(`board restarted (${reason})`);
    this.listeners.emit({ type: 'fault', detail: `board restarted: ${reason}` });
    this.resendPollInterval('board restarted');
  }

  // ---------------------------------------------------------------- frames from the board

  private onFrame(frame: FafbFrame): void {
    const now = performance.now();
    const gapMs = now - this.lastFrameAt;
    this.lastFrameAt = now;
    this.armSilenceTimer();
    if (frame.cmd === FafbCmd.POLL && frame.packNo === null) {
      this.counters.polls++;
      this.sequence.polled();
      this.setLinkUp();
      this.commands.answerPoll(gapMs > this.timing.restartGapMs);
      return;
    }
    if (frame.cmd === FafbCmd.ACK && frame.packNo === null) {
      this.commands.onAck();
      return;
    }
    if (this.link === 'down') this.setLinkUp(); // a data packet is as good a sign of life as a POLL
    if (frame.packNo === null) {
      this.log(`ignoring LEN-0 frame cmd 0x${frame.cmd.toString(16)}`);
      return;
    }
    // Every data packet is acknowledged, retransmissions and the board's 0x31 included (the document's
    // answer to a board's sync is its ACK; our previous ACK may have been lost).
    this.port.write(ACK_FRAME);
    const verdict = this.sequence.accept(frame.cmd, frame.packNo);
    if (verdict.kind === 'retransmission') {
      this.counters.duplicatesIgnored++;
      this.log(
        `board retransmission PackNO ${frame.packNo} (cmd 0x${frame.cmd.toString(16)}) ACKed, not acted on`,
      );
      return;
    }
    if (verdict.kind !== 'restart') {
      this.onBoardData(frame.cmd, frame.text);
      return;
    }
    this.boardRestarted(verdict.reason);
    this.onBoardData(frame.cmd, frame.text); // itself a reply to a request sent after the restart, perhaps
    // Whatever else the board was asked before it restarted is forgotten: no answer is coming, and waiting
    // for one would only delay a vend's repeated lane check.
    this.requests.cancelAll();
  }

  private onBoardData(cmd: number, text: Buffer): void {
    switch (cmd) {
      case FafbCmd.DISPENSE_STATUS:
        this.onDispenseStatus(text);
        return;
      case FafbCmd.FULLY_LOADED:
        this.log('technician pressed "fully loaded"');
        this.maint.normalLanes.clear();
        this.listeners.emit({ type: 'fully_loaded' });
        return;
      case FafbCmd.INFO_SYNC:
        return; // handled as a restart
      default:
        // Replies pair with their own request only (0x02 answers 0x01, never a vend).
        if (!this.requests.deliver(cmd, text)) {
          this.log(`unsolicited cmd 0x${cmd.toString(16)} ${hex(text)} from the board: logged, not used`);
        }
    }
  }

  private onDispenseStatus(text: Buffer): void {
    const status = text[0] ?? 0;
    const lane = selectionOf(text, 1);
    const vend = this.currentVend;
    if (vend && vend.lane === lane) {
      vend.onDispenseStatus(status);
      return;
    }
    const detail = `dispensing status for lane ${lane} outside a vend: ${dispenseStatusName(status)}`;
    this.log(detail);
    if (status !== 0x01) this.listeners.emit({ type: 'fault', detail, lane });
    // Evidence for recovery: after an agent restart the board may still be resending the final report of
    // the vend that was in flight (up to 5 times, the document says). Read with the same code table.
    const boardSeq = this.sequence.lastPackNo;
    if (boardSeq === null) return;
    this.listeners.emit({
      type: 'unclaimed_report',
      lane,
      code: status,
      boardSeq,
      outcome: dispenseStatusOutcome(status, this.capabilities.dropSensor, this.profile),
    });
  }

  vendMark(): VendMark | null {
    const boardSeq = this.sequence.lastPackNo;
    return boardSeq === null ? null : { boardSeq };
  }

  private get profile(): FafbBoardProfile {
    return this.opts.profile ?? GENERIC_BOARD_PROFILE;
  }

  // ---------------------------------------------------------------- Dispenser API

  private assertOpen(): void {
    if (this.closed) throw new FafbDispenserError('dispenser is closed');
  }

  vend(lane: Lane, txn: string): Promise<VendOutcome> {
    try {
      this.assertOpen();
      checkLane(lane);
    } catch (err) {
      return Promise.reject(err);
    }
    // One vend at a time: the board reports dispensing status by lane only, with no transaction id.
    const run = this.vendChain.then(() => this.runVend(lane, txn));
    this.vendChain = run.catch(() => undefined);
    return run;
  }

  testVend(lane: Lane, txn: string): Promise<VendOutcome> {
    return this.vend(lane, txn);
  }

  private runVend(lane: Lane, txn: string): Promise<VendOutcome> {
    if (this.closed) {
      return Promise.resolve({ kind: 'not_delivered', reason: 'dispenser closed before the vend was sent' });
    }
    const job = new VendJob(
      {
        dropSensor: this.capabilities.dropSensor,
        lift: this.capabilities.lift,
        profile: this.profile,
        vendResultTimeoutMs: this.timing.vendResultTimeoutMs,
        commandSendTimeoutMs: this.timing.commandSendTimeoutMs,
        commands: this.commands,
        checkLane: (l) => maintenance.checkSelection(this.maint, l),
        freshCheck: (l) => maintenance.takeFreshCheck(this.maint, l, this.timing.laneCheckFreshMs),
        laneCheckWithinMs: this.timing.laneCheckWithinMs,
        waitForLink: (ms) => this.waitForLink(ms),
        log: this.log,
        finished: (l, outcome, jammed) => this.vendFinished(job, l, outcome, jammed),
      },
      lane,
      txn,
    );
    this.currentVend = job;
    return job.run();
  }

  private waitForLink(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.link === 'up') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (up: boolean): void => {
        clearTimeout(timer);
        off();
        this.linkWaiters.delete(done);
        resolve(up && !this.closed);
      };
      const timer = setTimeout(() => done(false), ms);
      const off = this.listeners.add((e) => {
        if (e.type === 'link' && e.state === 'up') done(true);
      });
      this.linkWaiters.add(done);
    });
  }

  private vendFinished(job: VendJob, lane: Lane, outcome: VendOutcome, jammed: boolean): void {
    if (this.currentVend === job) this.currentVend = null;
    // What the board said of this lane before or during the vend is stale now (its stock changed).
    this.maint.normalLanes.delete(lane);
    this.maint.checksInFlight.delete(lane);
    if (outcome.kind === 'delivered') {
      this.maint.jammedLanes.delete(lane);
      return;
    }
    if (jammed && 'reason' in outcome) this.maint.jammedLanes.set(lane, outcome.reason);
    this.listeners.emit({
      type: 'fault',
      detail: `vend on lane ${lane}: ${outcome.kind}: ${outcome.reason}`,
      lane,
    });
  }

  laneStatus(lane: Lane): Promise<LaneStatus> {
    this.assertOpen();
    return maintenance.laneStatus(this.maint, lane);
  }

  machineStatus(): Promise<MachineStatus> {
    this.assertOpen();
    return maintenance.machineStatus(this.maint);
  }

  async setStock(lane: Lane, stock: number): Promise<boolean> {
    this.assertOpen();
    return maintenance.setStock(this.maint, lane, stock);
  }

  async setCapacity(lane: Lane, capacity: number): Promise<boolean> {
    this.assertOpen();
    return maintenance.setCapacity(this.maint, lane, capacity);
  }

  async setPollInterval(ms: number): Promise<boolean> {
    this.assertOpen();
    maintenance.checkPollInterval(ms);
    this.pollInterval = { ms, onBoard: false };
    return this.sendPollInterval();
  }

  /**
   * Sends the interval last asked for. Again after a board restart (the document does not say a board keeps
   * it) and when the link comes back with it not yet acknowledged.
   */
  private async sendPollInterval(): Promise<boolean> {
    const wanted = this.pollInterval;
    if (!wanted || this.closed) return false;
    const acked = await maintenance.setPollInterval(this.maint, wanted.ms);
    if (this.pollInterval === wanted) wanted.onBoard = acked;
    return acked;
  }

  private resendPollInterval(why: string): void {
    if (!this.pollInterval || this.closed) return;
    this.pollInterval.onBoard = false;
    this.log(`POLL interval ${this.pollInterval.ms} ms sent again (${why})`);
    void this.sendPollInterval();
  }

  readLaneInfo(lane: Lane): Promise<LaneInfo | null> {
    this.assertOpen();
    return maintenance.readLaneInfo(this.maint, lane);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearSilenceTimer();
    // Unsent commands first: a vend still queued or still checking ends not_delivered (no motor command
    // reached the board); one already sent ends unverified.
    this.commands.dropQueued();
    this.requests.cancelAll();
    for (const waiter of [...this.linkWaiters]) waiter(false);
    this.currentVend?.interrupted('dispenser closed');
    this.commands.linkBroken('dispenser closed');
    this.parser = null;
    if (this.link === 'up') {
      this.link = 'down';
      this.listeners.emit({ type: 'link', state: 'down', detail: 'dispenser closed' });
    }
    await this.port.close();
  }
}

// The 0xFA 0xFB VMC driver, upper-computer side (shared/protocols/vmc-fafb.md).
// The board is the master: it POLLs, and each POLL is answered at once, synchronously, from an in-memory
// queue (ACK or exactly one command). Nothing on that path awaits SQLite or the network.
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
  VendOutcome,
} from './dispenser.ts';
import {
  dispenseStatusName,
  dispenseStatusOutcome,
  liftStatus,
  parseMachineStatus,
  selectionStatus,
} from './fafb-codes.ts';
import { ACK_FRAME, FafbCmd, FafbFrameParser, encodeFrame, hex } from './fafb-frame.ts';
import type { FafbFrame } from './fafb-frame.ts';

export interface FafbTiming {
  /** Link goes 'down' when nothing valid was heard from the board for this long. */
  readonly linkDownAfterMs: number;
  /** A command not acknowledged is resent on each following POLL, at most this many times. */
  readonly maxRetransmits: number;
  /** A queued command that could not be put on the wire this long after it was asked for is dropped. */
  readonly commandSendTimeoutMs: number;
  /** From the vend command's first send to the final 0x04 status. */
  readonly vendResultTimeoutMs: number;
  /** Lane / machine status queries give up (state 'unknown') after this long. */
  readonly statusTimeoutMs: number;
  /** After this much silence the port is closed and reopened (an unplugged USB adapter sends no event). 0 = never. */
  readonly reopenAfterSilenceMs: number;
  readonly reopenBackoffMs: number;
  readonly reopenBackoffMaxMs: number;
}

export const DEFAULT_FAFB_TIMING: FafbTiming = {
  linkDownAfterMs: 1500,
  maxRetransmits: 5,
  commandSendTimeoutMs: 3000,
  vendResultTimeoutMs: 60_000,
  statusTimeoutMs: 3000,
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
  readonly log?: (line: string) => void;
  readonly timing?: Partial<FafbTiming>;
}

/** 0x11 selection info as the board reports it. Price is in the board's own units (see its decimal setting). */
export interface LaneInfo {
  readonly lane: Lane;
  readonly priceBoardUnits: number;
  readonly stock: number;
  readonly capacity: number;
  readonly productId: number;
  readonly paused: boolean;
}

export interface FafbStats {
  readonly polls: number;
  readonly commandsSent: number;
  readonly retransmits: number;
  readonly duplicatesIgnored: number;
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
  /** 0x16: set the board's POLL interval (100 ms – 2 s, rounded to 100 ms). */
  setPollInterval(ms: number): Promise<boolean>;
  /** 0x31 information sync, then the board's 0x11 report for that lane; null if it did not come. */
  readLaneInfo(lane: Lane): Promise<LaneInfo | null>;
  stats(): FafbStats;
}

type SendResult = 'acked' | 'unacked' | 'not_sent';

interface OutCommand {
  readonly cmd: number;
  readonly text: Buffer;
  readonly label: string;
  packNo: number | null;
  sends: number;
  sendTimer: NodeJS.Timeout | null;
  readonly onSent: () => void;
  readonly onSettled: (result: SendResult) => void;
}

interface VendJob {
  readonly lane: Lane;
  readonly txn: string;
  phase: 'queued' | 'sent' | 'accepted';
  command: OutCommand | null;
  finish(outcome: VendOutcome): void;
}

interface ReplyWaiter {
  readonly cmd: number;
  readonly match: (text: Buffer) => boolean;
  readonly resolve: (text: Buffer | null) => void;
}

export class FafbDispenserError extends Error {
  override readonly name = 'FafbDispenserError';
}

const sel = (lane: number): [number, number] => [(lane >> 8) & 0xff, lane & 0xff];
const selectionOf = (text: Buffer, offset: number): number =>
  ((text[offset] ?? 0) << 8) | (text[offset + 1] ?? 0);

function checkLane(lane: Lane, allowAll = false): void {
  const min = allowAll ? 0 : 1;
  if (!Number.isInteger(lane) || lane < min || lane > 0xffff) {
    throw new FafbDispenserError(`lane must be an integer ${min}..65535, got ${String(lane)}`);
  }
}

export function createFafbDispenser(opts: FafbDispenserOptions): FafbDispenser {
  return new FafbDriver(opts);
}

class FafbDriver implements FafbDispenser {
  readonly capabilities: DispenserCapabilities;
  private readonly timing: FafbTiming;
  private readonly log: (line: string) => void;
  private readonly listeners: DispenserListeners;

  private port: Duplex | null = null;
  private parser: FafbFrameParser | null = null;
  private link: LinkState = 'down';
  private closed = false;
  private silenceTimer: NodeJS.Timeout | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  private readonly queue: OutCommand[] = [];
  private inFlight: OutCommand | null = null;
  /**
   * ACKs carry no PackNO. A command sent n times may draw n ACKs; the first settles it, the others can arrive
   * after the next command went out and must not be taken as that command's ACK (which would drop it unsent).
   */
  private staleAcks = 0;
  private nextPackNo = 1;
  private lastBoardPackNo: number | null = null;

  private vendChain: Promise<unknown> = Promise.resolve();
  private currentVend: VendJob | null = null;
  private readonly waiters = new Set<ReplyWaiter>();
  private readonly jammedLanes = new Map<Lane, string>();
  private readonly counters = {
    polls: 0,
    commandsSent: 0,
    retransmits: 0,
    duplicatesIgnored: 0,
    reopens: 0,
  };

  constructor(private readonly opts: FafbDispenserOptions) {
    this.capabilities = { dropSensor: opts.dropSensor, lift: opts.lift ?? false };
    this.timing = { ...DEFAULT_FAFB_TIMING, ...opts.timing };
    this.log = opts.log ?? (() => {});
    this.listeners = new DispenserListeners(this.log);
    this.backoffMs = this.timing.reopenBackoffMs;
    void this.connect();
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
      badXor: this.parser?.stats.badXor ?? 0,
      garbageBytes: this.parser?.stats.garbageBytes ?? 0,
    };
  }

  // ---------------------------------------------------------------- port management

  private async connect(): Promise<void> {
    this.reopenTimer = null;
    if (this.closed) return;
    let stream: Duplex;
    try {
      stream = await this.opts.openPort();
    } catch (err) {
      this.log(`open failed: ${(err as Error).message}; retry in ${this.backoffMs} ms`);
      this.scheduleReopen();
      return;
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.attach(stream);
  }

  private attach(stream: Duplex): void {
    const parser = new FafbFrameParser((reason, bytes) => {
      if (reason === 'bad_xor') this.log(`dropped frame with bad XOR starting ${hex(bytes)}`);
    });
    this.port = stream;
    this.parser = parser;
    stream.on('data', (chunk: Buffer) => parser.write(chunk));
    parser.on('data', (frame: FafbFrame) => this.onFrame(frame));
    stream.on('error', (err: Error) => this.portLost(stream, `port error: ${err.message}`));
    stream.on('close', () => this.portLost(stream, 'port closed'));
    this.armSilenceTimer();
    this.log('port open, waiting for the board to POLL');
  }

  private portLost(stream: Duplex, reason: string): void {
    if (this.port !== stream) return;
    this.port = null;
    this.parser = null;
    stream.removeAllListeners('data');
    stream.on('error', () => {}); // a late error from a port we gave up must not crash the process
    stream.destroy();
    this.clearSilenceTimer();
    this.setLinkDown(reason);
    if (!this.closed) {
      this.log(`${reason}; reopening in ${this.backoffMs} ms`);
      this.scheduleReopen();
    }
  }

  private scheduleReopen(): void {
    if (this.closed || this.reopenTimer) return;
    const jitter = Math.floor(Math.random() * (this.backoffMs / 4));
    this.reopenTimer = setTimeout(() => void this.connect(), this.backoffMs + jitter);
    this.backoffMs = Math.min(this.backoffMs * 2, this.timing.reopenBackoffMaxMs);
    this.counters.reopens++;
  }

  /** One timer measures silence: first it takes the link down, then (if still silent) reopens the port. */
  private armSilenceTimer(): void {
    this.clearSilenceTimer();
    const port = this.port;
    this.silenceTimer = setTimeout(() => {
      this.setLinkDown(`no POLL from the board for ${this.timing.linkDownAfterMs} ms`);
      const rest = this.timing.reopenAfterSilenceMs - this.timing.linkDownAfterMs;
      if (this.timing.reopenAfterSilenceMs <= 0 || port === null) return;
      this.silenceTimer = setTimeout(
        () => this.portLost(port, `board silent for ${this.timing.reopenAfterSilenceMs} ms`),
        Math.max(0, rest),
      );
    }, this.timing.linkDownAfterMs);
  }

  private clearSilenceTimer(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }

  private write(bytes: Buffer): void {
    const port = this.port;
    if (!port) return;
    port.write(bytes, (err) => {
      if (err) this.portLost(port, `write error: ${err.message}`);
    });
  }

  // ---------------------------------------------------------------- link state

  private setLinkUp(): void {
    if (this.link === 'up') return;
    this.link = 'up';
    this.backoffMs = this.timing.reopenBackoffMs;
    this.log('link up');
    this.listeners.emit({ type: 'link', state: 'up', detail: 'board is polling' });
  }

  private setLinkDown(reason: string): void {
    // The board may have rebooted: its PackNO sequence starts over, and no old ACK is still coming.
    this.lastBoardPackNo = null;
    this.staleAcks = 0;
    const vend = this.currentVend;
    if (vend && vend.phase !== 'queued') {
      vend.finish({ kind: 'unverified', reason: `link to the board lost while vending (${reason})` });
    }
    if (this.inFlight) {
      const lost = this.inFlight;
      this.inFlight = null;
      lost.onSettled('unacked');
    }
    if (this.link === 'down') return;
    this.link = 'down';
    this.log(`link down: ${reason}`);
    this.listeners.emit({ type: 'link', state: 'down', detail: reason });
  }

  // ---------------------------------------------------------------- frames from the board

  private onFrame(frame: FafbFrame): void {
    this.armSilenceTimer();
    if (frame.cmd === FafbCmd.POLL && frame.packNo === null) {
      this.counters.polls++;
      this.setLinkUp();
      this.answerPoll();
      return;
    }
    if (frame.cmd === FafbCmd.ACK && frame.packNo === null) {
      this.onAck();
      return;
    }
    if (this.link === 'down') this.setLinkUp(); // a data packet is as good a sign of life as a POLL
    if (frame.packNo === null) {
      this.log(`ignoring LEN-0 frame cmd 0x${frame.cmd.toString(16)}`);
      return;
    }
    // Every data packet is acknowledged, retransmissions included (our previous ACK may have been lost).
    this.write(ACK_FRAME);
    if (frame.packNo === this.lastBoardPackNo) {
      this.counters.duplicatesIgnored++;
      this.log(
        `board retransmission PackNO ${frame.packNo} (cmd 0x${frame.cmd.toString(16)}) ACKed, not acted on`,
      );
      return;
    }
    this.lastBoardPackNo = frame.packNo;
    this.onBoardData(frame.cmd, frame.text);
  }

  /** Synchronous by design: the board wants an answer within 100 ms. */
  private answerPoll(): void {
    const pending = this.inFlight;
    if (pending) {
      if (pending.sends > this.timing.maxRetransmits) {
        this.inFlight = null;
        this.log(`${pending.label} not acknowledged after ${pending.sends} sends; giving up`);
        pending.onSettled('unacked');
      } else {
        pending.sends++;
        this.counters.retransmits++;
        this.log(`retransmitting ${pending.label} PackNO ${pending.packNo ?? '-'} (send ${pending.sends})`);
        this.write(encodeFrame(pending.cmd, pending.packNo ?? undefined, pending.text));
        return;
      }
    }
    const next = this.queue.shift();
    if (!next) {
      // Idle POLL: any ACK still on its way from before has arrived by now.
      this.staleAcks = 0;
      this.write(ACK_FRAME);
      return;
    }
    next.packNo = this.nextPackNo;
    this.nextPackNo = this.nextPackNo >= 255 ? 1 : this.nextPackNo + 1;
    next.sends = 1;
    if (next.sendTimer) clearTimeout(next.sendTimer);
    next.sendTimer = null;
    this.inFlight = next;
    this.counters.commandsSent++;
    const bytes = encodeFrame(next.cmd, next.packNo, next.text);
    this.log(`-> ${next.label} PackNO ${next.packNo}: ${hex(bytes)}`);
    this.write(bytes);
    next.onSent();
  }

  private onAck(): void {
    const acked = this.inFlight;
    if (!acked) return; // an ACK with nothing outstanding (e.g. a late duplicate) is harmless
    if (this.staleAcks > 0) {
      // Probably a late ACK of the previous command's retransmission. If it was in fact this command's, the
      // next POLL resends it with the same PackNO, which the board acknowledges again without acting twice.
      this.staleAcks--;
      return;
    }
    this.inFlight = null;
    this.staleAcks = acked.sends - 1;
    acked.onSettled('acked');
  }

  private onBoardData(cmd: number, text: Buffer): void {
    for (const waiter of this.waiters) {
      if (waiter.cmd === cmd && waiter.match(text)) {
        this.waiters.delete(waiter);
        waiter.resolve(text);
      }
    }
    switch (cmd) {
      case FafbCmd.DISPENSE_STATUS:
        this.onDispenseStatus(text);
        return;
      case FafbCmd.SELECTION_STATUS:
        this.onSelectionStatus(text);
        return;
      case FafbCmd.FULLY_LOADED:
        this.log('technician pressed "fully loaded"');
        this.listeners.emit({ type: 'fully_loaded' });
        return;
      default:
        return;
    }
  }

  private onDispenseStatus(text: Buffer): void {
    const status = text[0] ?? 0;
    const lane = selectionOf(text, 1);
    const vend = this.currentVend;
    if (!vend || vend.lane !== lane || vend.phase === 'queued') {
      const detail = `dispensing status for lane ${lane} outside a vend: ${dispenseStatusName(status)}`;
      this.log(`${detail}`);
      if (status !== 0x01) this.listeners.emit({ type: 'fault', detail, lane });
      return;
    }
    // A status for our lane means the board took the command, even if its ACK was lost.
    if (vend.command && this.inFlight === vend.command) {
      this.inFlight = null;
      vend.command.onSettled('acked');
    }
    vend.phase = 'accepted';
    const outcome = dispenseStatusOutcome(status, this.capabilities.dropSensor);
    if (outcome === 'in_progress') {
      this.log(`lane ${lane}: ${dispenseStatusName(status)}`);
      return;
    }
    vend.finish(outcome);
  }

  private onSelectionStatus(text: Buffer): void {
    const status = text[0] ?? 0;
    const lane = selectionOf(text, 1);
    const vend = this.currentVend;
    // In direct-drive mode the board refuses a lane it cannot serve with a 0x02 instead of running a motor.
    if (!vend || vend.lane !== lane || vend.phase === 'queued' || status === 0x01) return;
    if (this.laneQueryPending(lane)) return; // that 0x02 answers a status query, not our vend
    const s = selectionStatus(status);
    vend.finish({ kind: 'not_delivered', reason: `board refused the lane: ${s.detail}`, code: status });
  }

  private laneQueryPending(lane: Lane): boolean {
    for (const w of this.waiters) {
      if (w.cmd === FafbCmd.SELECTION_STATUS && w.match(Buffer.from([0, ...sel(lane)]))) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- commands to the board

  private submit(
    cmd: number,
    text: number[],
    label: string,
    onSent: () => void,
    onSettled: (result: SendResult) => void,
  ): OutCommand {
    const command: OutCommand = {
      cmd,
      text: Buffer.from(text),
      label,
      packNo: null,
      sends: 0,
      sendTimer: null,
      onSent,
      onSettled,
    };
    command.sendTimer = setTimeout(() => {
      const i = this.queue.indexOf(command);
      if (i < 0) return;
      this.queue.splice(i, 1);
      this.log(`${label} never sent: the board did not POLL within ${this.timing.commandSendTimeoutMs} ms`);
      onSettled('not_sent');
    }, this.timing.commandSendTimeoutMs);
    this.queue.push(command);
    return command;
  }

  private sendAndConfirm(cmd: number, text: number[], label: string): Promise<boolean> {
    this.assertOpen();
    return new Promise((resolve) => {
      this.submit(
        cmd,
        text,
        label,
        () => {},
        (r) => resolve(r === 'acked'),
      );
    });
  }

  /** Sends a command and waits for the board's reply packet; null when it did not come. */
  private request(
    cmd: number,
    text: number[],
    label: string,
    replyCmd: number,
    match: (t: Buffer) => boolean,
    timeoutMs = this.timing.statusTimeoutMs,
  ): Promise<Buffer | null> {
    this.assertOpen();
    return new Promise((resolve) => {
      let done = false;
      const settle = (value: Buffer | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      const waiter: ReplyWaiter = { cmd: replyCmd, match, resolve: settle };
      const timer = setTimeout(() => settle(null), timeoutMs);
      this.waiters.add(waiter);
      this.submit(
        cmd,
        text,
        label,
        () => {},
        (r) => {
          if (r === 'not_sent') settle(null);
        },
      );
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new FafbDispenserError('dispenser is closed');
  }

  // ---------------------------------------------------------------- Dispenser API

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
    return new Promise((resolve) => {
      let resultTimer: NodeJS.Timeout | null = null;
      let unacked = false;
      const job: VendJob = {
        lane,
        txn,
        phase: 'queued',
        command: null,
        finish: (outcome) => {
          if (this.currentVend !== job) return;
          this.currentVend = null;
          if (resultTimer) clearTimeout(resultTimer);
          if (job.command && this.inFlight === job.command) this.inFlight = null;
          const i = job.command ? this.queue.indexOf(job.command) : -1;
          if (i >= 0) this.queue.splice(i, 1);
          if (job.command?.sendTimer) clearTimeout(job.command.sendTimer);
          this.log(
            `vend ${txn} lane ${lane}: ${outcome.kind}${'reason' in outcome ? ` (${outcome.reason})` : ''}`,
          );
          if (outcome.kind === 'delivered') this.jammedLanes.delete(lane);
          else {
            if (outcome.code === 0x03) this.jammedLanes.set(lane, outcome.reason);
            this.listeners.emit({
              type: 'fault',
              detail: `vend on lane ${lane}: ${outcome.kind}: ${outcome.reason}`,
              lane,
            });
          }
          resolve(outcome);
        },
      };
      this.currentVend = job;
      const flags = [this.capabilities.dropSensor ? 1 : 0, this.capabilities.lift ? 1 : 0];
      job.command = this.submit(
        FafbCmd.DRIVE_DIRECT,
        [...flags, ...sel(lane)],
        `vend ${txn} lane ${lane}`,
        () => {
          job.phase = 'sent';
          resultTimer = setTimeout(
            () =>
              job.finish({
                kind: 'unverified',
                reason:
                  `no dispensing result from the board within ${this.timing.vendResultTimeoutMs} ms` +
                  (unacked ? ' (the vend command was never acknowledged)' : ''),
              }),
            this.timing.vendResultTimeoutMs,
          );
        },
        (result) => {
          if (result === 'acked') {
            if (job.phase === 'sent') job.phase = 'accepted';
          } else if (result === 'not_sent') {
            job.finish({
              kind: 'not_delivered',
              reason: `vend command never sent: the board did not POLL within ${this.timing.commandSendTimeoutMs} ms`,
            });
          } else if (this.link === 'up') {
            // The board is alive but its ACKs are not reaching us: it may still be vending, so keep
            // listening for the dispensing status until the result timeout.
            unacked = true;
          } else {
            job.finish({
              kind: 'unverified',
              reason: 'the board did not acknowledge the vend command; it may or may not have run',
            });
          }
        },
      );
    });
  }

  async laneStatus(lane: Lane): Promise<LaneStatus> {
    checkLane(lane);
    const reply = await this.request(
      FafbCmd.CHECK_SELECTION,
      sel(lane),
      `check lane ${lane}`,
      FafbCmd.SELECTION_STATUS,
      (t) => selectionOf(t, 1) === lane,
    );
    if (!reply) {
      return { lane, state: 'unknown', detail: `no answer from the board (link ${this.link})` };
    }
    const s = selectionStatus(reply[0] ?? 0);
    const jam = this.jammedLanes.get(lane);
    if (s.state === 'ok' && jam) return { lane, state: 'jammed', detail: `last vend failed: ${jam}` };
    return { lane, state: s.state, detail: s.detail };
  }

  async machineStatus(): Promise<MachineStatus> {
    const reply = await this.request(
      FafbCmd.MACHINE_STATUS_REQUEST,
      [],
      'machine status',
      FafbCmd.MACHINE_STATUS,
      () => true,
    );
    const details: string[] = [];
    let doorOpen: boolean | null = null;
    let temperatureC: number | null = null;
    if (reply) {
      const m = parseMachineStatus(reply);
      doorOpen = m.doorOpen;
      temperatureC = m.temperatureC;
      details.push(`door ${doorOpen === null ? 'unknown' : doorOpen ? 'open' : 'closed'}`);
      if (m.machineId) details.push(`machine id ${m.machineId}`);
    } else {
      details.push(`no machine status from the board (link ${this.link})`);
    }
    let lift: MachineStatus['lift'] = 'absent';
    if (this.capabilities.lift) {
      const liftReply = await this.request(
        FafbCmd.LIFT_STATUS_REQUEST,
        [],
        'lift status',
        FafbCmd.LIFT_STATUS,
        () => true,
      );
      if (liftReply) {
        const l = liftStatus(liftReply[0] ?? 0);
        lift = l.lift;
        details.push(l.detail);
      } else {
        lift = null;
        details.push('no lift status from the board');
      }
    }
    return { doorOpen, temperatureC, lift, detail: details.join('; ') };
  }

  async setStock(lane: Lane, stock: number): Promise<boolean> {
    checkLane(lane, true);
    if (!Number.isInteger(stock) || stock < 0 || stock > 255)
      throw new FafbDispenserError(`stock must be 0..255, got ${stock}`);
    if (lane === 0) this.jammedLanes.clear();
    else this.jammedLanes.delete(lane);
    return this.sendAndConfirm(FafbCmd.SET_STOCK, [...sel(lane), stock], `set stock lane ${lane} = ${stock}`);
  }

  async setCapacity(lane: Lane, capacity: number): Promise<boolean> {
    checkLane(lane, true);
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 255) {
      throw new FafbDispenserError(`capacity must be 0..255, got ${capacity}`);
    }
    return this.sendAndConfirm(
      FafbCmd.SET_CAPACITY,
      [...sel(lane), capacity],
      `set capacity lane ${lane} = ${capacity}`,
    );
  }

  async setPollInterval(ms: number): Promise<boolean> {
    if (!Number.isInteger(ms) || ms < 100 || ms > 2000)
      throw new FafbDispenserError(`poll interval must be 100..2000 ms, got ${ms}`);
    return this.sendAndConfirm(
      FafbCmd.SET_POLL_INTERVAL,
      [Math.round(ms / 100)],
      `set poll interval ${ms} ms`,
    );
  }

  async readLaneInfo(lane: Lane): Promise<LaneInfo | null> {
    checkLane(lane);
    const reply = await this.request(
      FafbCmd.INFO_SYNC,
      [],
      'information sync',
      FafbCmd.SELECTION_INFO,
      (t) => selectionOf(t, 0) === lane,
      // The board answers a sync with one 0x11 per lane, one per POLL slot.
      this.timing.statusTimeoutMs * 4,
    );
    if (!reply || reply.length < 11) return null;
    return {
      lane,
      priceBoardUnits: reply.readUInt32BE(2),
      stock: reply[6] ?? 0,
      capacity: reply[7] ?? 0,
      productId: reply.readUInt16BE(8),
      paused: (reply[10] ?? 0) !== 0,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.clearSilenceTimer();
    // Unsent commands first: a vend still queued ends not_delivered (no byte reached the board).
    for (const c of this.queue.splice(0)) {
      if (c.sendTimer) clearTimeout(c.sendTimer);
      c.onSettled('not_sent');
    }
    this.currentVend?.finish({ kind: 'unverified', reason: 'dispenser closed while vending' });
    for (const w of [...this.waiters]) w.resolve(null);
    const port = this.port;
    this.port = null;
    this.parser = null;
    if (this.link === 'up') {
      this.link = 'down';
      this.listeners.emit({ type: 'link', state: 'down', detail: 'dispenser closed' });
    }
    if (port) {
      port.removeAllListeners('data');
      port.on('error', () => {});
      await new Promise<void>((resolve) => {
        if (port.destroyed) return resolve();
        port.once('close', () => resolve());
        port.destroy();
        setTimeout(resolve, 500).unref();
      });
    }
  }
}

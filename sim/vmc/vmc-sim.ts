// A simulated VMC board speaking the 0xFA 0xFB protocol as the MASTER on any Duplex stream (a socat PTY,
// a serial port, or an in-memory line). It POLLs, sends its own data packets until they are ACKed (up to 5
// retransmissions), de-duplicates host commands by PackNO, runs "motors", and records every motor run.
// Like the document's board it announces every power-up and restart with 0x31 until that is ACKed, and a
// restart forgets everything: the host's last PackNO, its own outbox, a motor command not yet ACKed.
import { appendFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { parseFault, seededRandom } from './faults.ts';
import type { LaneFaultKind, RebootPoint, SimFault } from './faults.ts';
import { ACK, CMD, POLL, SimFrameReader, buildFrame } from './frame.ts';
import type { SimFrame } from './frame.ts';

export interface SimLaneConfig {
  readonly lane: number;
  readonly stock: number;
  readonly capacity?: number;
  /** false: this lane has no working drop sensor, so the board can only say "the motor turned". */
  readonly dropSensor?: boolean;
  readonly price?: number;
  readonly productId?: number;
}

export interface VmcSimOptions {
  readonly stream: Duplex;
  readonly lanes: readonly SimLaneConfig[];
  readonly pollIntervalMs?: number;
  /** Every motor run is appended to this file as one JSON line. */
  readonly recordFile?: string;
  /** How long a motor turns before the board reports the result. */
  readonly motorMs?: number;
  /** false: like some boards, send only the final 0x04 status, not "01 dispensing" when the motor starts. */
  readonly reportDispensing?: boolean;
  readonly lift?: boolean;
  readonly machineId?: string;
  readonly temperatureC?: number;
  readonly faults?: readonly SimFault[];
  /**
   * false: a board that does not announce its restarts with 0x31 (the host must notice them from the POLL
   * pattern or the PackNO). Default true, as the document says.
   */
  readonly announceRestart?: boolean;
  readonly log?: (line: string) => void;
}

/** What the board did, as it happens: tests await these instead of racing timers. */
export type VmcSimEvent =
  | { readonly type: 'command'; readonly cmd: number; readonly packNo: number; readonly duplicate: boolean }
  | { readonly type: 'motor_run'; readonly run: MotorRun }
  | { readonly type: 'reboot'; readonly downMs: number; readonly at: RebootPoint | 'now' }
  /** Back on after a reboot (its 0x31 is queued, when it announces restarts). */
  | { readonly type: 'power_up' }
  | { readonly type: 'stale_reply'; readonly cmd: number }
  /** The POLL interval changed (the host's 0x16, or a restart back to the power-on interval). */
  | { readonly type: 'poll_interval'; readonly ms: number }
  /** A motor started under the hold_motor fault: it turns until releaseMotor(). */
  | { readonly type: 'motor_held'; readonly lane: number };

export type MotorResult =
  'dispensed' | 'jammed' | 'motor_not_stopped' | 'no_drop' | 'elevator_error' | 'interrupted';

export interface MotorRun {
  readonly lane: number;
  readonly at: string;
  readonly result: MotorResult;
  readonly dropSeen: boolean;
  /** PackNO of the host command that started the run (to prove a retransmission did not start another). */
  readonly hostPackNo: number;
}

export interface SimLaneState {
  readonly lane: number;
  readonly stock: number;
  readonly capacity: number;
  readonly dropSensor: boolean;
  readonly paused: boolean;
}

export interface VmcSimStats {
  polls: number;
  pollAnswers: number;
  /** POLLs answered later than the protocol's 100 ms. */
  lateAnswers: number;
  unanswered: number;
  commandsReceived: number;
  duplicateCommands: number;
  dataPacketsSent: number;
  retransmissions: number;
  droppedPackets: number;
  badFrames: number;
  reboots: number;
  /** Frames the board put on the line, and valid frames it read from the host: the link's load. */
  framesSent: number;
  framesReceived: number;
  /** The POLL interval the board runs at now (its power-on value, or as the host's 0x16 set it). */
  pollIntervalMs: number;
  /** POLL → answer latency of the last 10 000 POLLs, in ms. */
  answerLatenciesMs: number[];
}

export interface VmcSim {
  motorRuns(): MotorRun[];
  lanes(): SimLaneState[];
  setFault(fault: SimFault | readonly SimFault[]): void;
  /** The board loses power now for `downMs` (a brown-out, a watchdog reset), whatever it was doing. */
  reboot(downMs: number): void;
  onEvent(listener: (event: VmcSimEvent) => void): () => void;
  clearFaults(): void;
  /** The technician presses "fully loaded": every lane is filled and 0x17 is sent. */
  pressFullyLoaded(): void;
  /** Lets a motor held by the `hold_motor` fault finish its run; false when none is held. */
  releaseMotor(): boolean;
  stats(): VmcSimStats;
  /** Zeroes the counters and the latency window (benchmarks measure one phase at a time). */
  resetStats(): void;
  close(): Promise<void>;
}

interface Lane {
  lane: number;
  stock: number;
  capacity: number;
  dropSensor: boolean;
  paused: boolean;
  price: number;
  productId: number;
}

interface OutPacket {
  cmd: number;
  text: number[];
  packNo: number;
  sends: number;
}

interface CountedLaneFault {
  kind: LaneFaultKind;
  lane: number | undefined;
  left: number;
  downMs: number;
  at: RebootPoint;
}

const MAX_RETRANSMITS = 5;
/** 0x16's range in the document: 100 ms – 2 s, in units of 100 ms. */
const MIN_POLL_UNITS = 1;
const MAX_POLL_UNITS = 20;
const ANSWER_DEADLINE_MS = 100;
const sel = (lane: number): [number, number] => [(lane >> 8) & 0xff, lane & 0xff];

export function startVmcSim(opts: VmcSimOptions): VmcSim {
  return new Board(opts);
}

class Board implements VmcSim {
  private readonly stream: Duplex;
  private readonly log: (line: string) => void;
  private readonly laneMap = new Map<number, Lane>();
  private readonly runs: MotorRun[] = [];
  private readonly reader = new SimFrameReader();
  private pollIntervalMs: number;
  /** The interval at power-up (`pollIntervalMs` option); 0x16 changes it until the next restart. */
  private readonly powerOnPollMs: number;
  private readonly motorMs: number;
  private ticker: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  // Protocol state; a reboot resets it.
  private packNo = 1;
  private lastHostPackNo: number | null = null;
  private outbox: Array<{ cmd: number; text: number[] }> = [];
  private inFlight: OutPacket | null = null;
  private pollSentAt: number | null = null;
  private motorBusy = false;
  private silentUntil = 0;
  private generation = 0;
  private poweringUp = false;
  private readonly listeners = new Set<(event: VmcSimEvent) => void>();
  /** The last final 0x04 sent, for the repeat_old_status fault. */
  private lastFinalStatus: number[] | null = null;

  // Faults.
  private laneFaults: CountedLaneFault[] = [];
  private doorOpen = false;
  private corruptLeft = 0;
  private dropAckLeft = 0;
  private loseHostAckLeft = 0;
  private duplicateLeft = 0;
  private slowDelayMs = 0;
  private slowLeft = 0;
  private random: (() => number) | null = null;
  private randomRate = 0;
  private lateSelection: { status: number | undefined } | null = null;
  private heldSelectionReply: number[] | null = null;
  private repeatOldStatusLeft = 0;
  private holdMotor: { lane: number | undefined } | null = null;
  private heldRun: (() => void) | null = null;

  private readonly counters: VmcSimStats = {
    polls: 0,
    pollAnswers: 0,
    lateAnswers: 0,
    unanswered: 0,
    commandsReceived: 0,
    duplicateCommands: 0,
    dataPacketsSent: 0,
    retransmissions: 0,
    droppedPackets: 0,
    badFrames: 0,
    reboots: 0,
    framesSent: 0,
    framesReceived: 0,
    pollIntervalMs: 0,
    answerLatenciesMs: [],
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed || Date.now() < this.silentUntil) return; // a board that is off hears nothing
    for (const frame of this.reader.feed(chunk)) {
      // A frame can reboot the board (reboot_mid_vend): the rest of the chunk arrives at a board that is off.
      if (Date.now() < this.silentUntil) break;
      this.onFrame(frame);
    }
  };

  constructor(private readonly opts: VmcSimOptions) {
    this.stream = opts.stream;
    this.log = opts.log ?? (() => {});
    this.powerOnPollMs = opts.pollIntervalMs ?? 200;
    this.pollIntervalMs = this.powerOnPollMs;
    this.motorMs = opts.motorMs ?? 300;
    for (const l of opts.lanes) {
      this.laneMap.set(l.lane, {
        lane: l.lane,
        stock: l.stock,
        capacity: l.capacity ?? Math.max(l.stock, 10),
        dropSensor: l.dropSensor ?? true,
        paused: false,
        price: l.price ?? 100,
        productId: l.productId ?? l.lane,
      });
    }
    if (opts.faults) this.setFault(opts.faults);
    this.stream.on('data', this.onData);
    this.stream.on('error', (err: Error) => this.log(`vmc-sim: stream error: ${err.message}`));
    this.powerUp();
    this.startTicker();
  }

  // ---------------------------------------------------------------- public

  motorRuns(): MotorRun[] {
    return this.runs.map((r) => ({ ...r }));
  }

  lanes(): SimLaneState[] {
    return [...this.laneMap.values()].map((l) => ({
      lane: l.lane,
      stock: l.stock,
      capacity: l.capacity,
      dropSensor: l.dropSensor,
      paused: l.paused,
    }));
  }

  onEvent(listener: (event: VmcSimEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: VmcSimEvent): void {
    for (const l of this.listeners) l(event);
  }

  stats(): VmcSimStats {
    return {
      ...this.counters,
      pollIntervalMs: this.pollIntervalMs,
      badFrames: this.reader.badFrames,
      answerLatenciesMs: [...this.counters.answerLatenciesMs],
    };
  }

  resetStats(): void {
    for (const key of Object.keys(this.counters) as Array<keyof VmcSimStats>) {
      if (key === 'answerLatenciesMs') this.counters.answerLatenciesMs = [];
      else this.counters[key] = 0;
    }
    this.reader.badFrames = 0;
  }

  setFault(fault: SimFault | readonly SimFault[]): void {
    const list: readonly SimFault[] = Array.isArray(fault) ? fault : [fault as SimFault];
    for (const raw of list) {
      const f = parseFault(raw);
      switch (f.kind) {
        case 'clear':
          this.clearFaults();
          break;
        case 'door_open':
          this.doorOpen = f.open;
          break;
        case 'corrupt_xor':
          this.corruptLeft += f.times ?? 1;
          break;
        case 'drop_ack':
          this.dropAckLeft += f.times ?? 1;
          break;
        case 'lose_host_ack':
          this.loseHostAckLeft += f.times ?? 1;
          break;
        case 'duplicate_packno':
          this.duplicateLeft += f.times ?? 1;
          break;
        case 'slow_replies':
          this.slowDelayMs = f.delayMs;
          this.slowLeft = f.times ?? Number.POSITIVE_INFINITY;
          break;
        case 'silence':
          this.silentUntil = Date.now() + f.ms;
          this.log(`vmc-sim: silent for ${f.ms} ms`);
          break;
        case 'random':
          this.random = seededRandom(f.seed ?? 1);
          this.randomRate = f.rate;
          break;
        case 'late_selection_status':
          this.lateSelection = { status: f.status };
          break;
        case 'repeat_old_status':
          this.repeatOldStatusLeft += f.times ?? 1;
          break;
        case 'hold_motor':
          this.holdMotor = { lane: f.lane };
          break;
        default:
          this.laneFaults.push({
            kind: f.kind,
            lane: f.lane,
            left: f.times ?? 1,
            downMs: f.downMs ?? 2000,
            at: f.at ?? 'motor',
          });
      }
    }
  }

  clearFaults(): void {
    this.laneFaults = [];
    this.doorOpen = false;
    this.corruptLeft = 0;
    this.dropAckLeft = 0;
    this.loseHostAckLeft = 0;
    this.duplicateLeft = 0;
    this.slowDelayMs = 0;
    this.slowLeft = 0;
    this.random = null;
    this.randomRate = 0;
    this.silentUntil = 0;
    this.lateSelection = null;
    this.heldSelectionReply = null;
    this.repeatOldStatusLeft = 0;
    this.holdMotor = null;
  }

  releaseMotor(): boolean {
    const run = this.heldRun;
    this.heldRun = null;
    run?.();
    return run !== null;
  }

  pressFullyLoaded(): void {
    for (const l of this.laneMap.values()) l.stock = l.capacity;
    this.queue(CMD.FULLY_LOADED, []);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stream.off('data', this.onData);
  }

  // ---------------------------------------------------------------- master loop

  private startTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), this.pollIntervalMs);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private tick(): void {
    if (this.closed || Date.now() < this.silentUntil) return;
    if (this.poweringUp) {
      this.poweringUp = false;
      this.emit({ type: 'power_up' });
    }
    if (this.pollSentAt !== null) {
      this.counters.unanswered++;
      this.pollSentAt = null;
    }
    const pending = this.inFlight;
    if (pending) {
      // The document: a board keeps resending its 0x31 until it is ACKed.
      if (pending.sends > MAX_RETRANSMITS && pending.cmd !== CMD.INFO_SYNC) {
        this.counters.droppedPackets++;
        this.log(`vmc-sim: gave up on cmd 0x${pending.cmd.toString(16)} PackNO ${pending.packNo}`);
        this.inFlight = null;
      } else {
        pending.sends++;
        this.counters.retransmissions++;
        this.send(buildFrame(pending.cmd, pending.packNo, pending.text));
        return;
      }
    }
    const next = this.outbox.shift();
    if (next) {
      const packet: OutPacket = { ...next, packNo: this.packNo, sends: 1 };
      this.packNo = this.packNo >= 255 ? 1 : this.packNo + 1;
      this.inFlight = packet;
      this.counters.dataPacketsSent++;
      const bytes = buildFrame(packet.cmd, packet.packNo, packet.text);
      this.send(bytes);
      if (this.duplicateLeft > 0) {
        this.duplicateLeft--;
        this.send(bytes);
      }
      return;
    }
    this.counters.polls++;
    this.pollSentAt = performance.now();
    this.send(POLL);
  }

  private queue(cmd: number, text: number[]): void {
    this.outbox.push({ cmd, text });
  }

  private chance(): boolean {
    return this.random !== null && this.random() < this.randomRate;
  }

  private send(frame: Buffer): void {
    this.counters.framesSent++;
    let bytes = frame;
    if (this.corruptLeft > 0 || this.chance()) {
      if (this.corruptLeft > 0) this.corruptLeft--;
      bytes = Buffer.from(frame);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x5a;
    }
    if (this.slowLeft > 0 && this.slowDelayMs > 0) {
      this.slowLeft--;
      this.later(this.slowDelayMs, () => this.stream.write(bytes));
      return;
    }
    this.stream.write(bytes);
  }

  // ---------------------------------------------------------------- frames from the host

  private onFrame(frame: SimFrame): void {
    this.counters.framesReceived++;
    if (frame.packNo === null) {
      if (frame.cmd !== CMD.ACK) return;
      if (this.pollSentAt !== null) {
        this.notePollAnswer();
      } else if (this.inFlight) {
        if (this.loseHostAckLeft > 0 || this.chance()) {
          if (this.loseHostAckLeft > 0) this.loseHostAckLeft--;
          return; // as if the ACK never arrived: the packet is retransmitted on the next tick
        }
        this.inFlight = null;
      }
      return;
    }
    if (this.pollSentAt !== null) this.notePollAnswer();
    this.counters.commandsReceived++;
    const duplicate = frame.packNo === this.lastHostPackNo;
    const isVend = frame.cmd === CMD.DRIVE_DIRECT || frame.cmd === CMD.SELECT_TO_BUY;
    if (isVend && !duplicate && this.repeatOldStatusLeft > 0 && this.lastFinalStatus) {
      // A board that re-sends its previous final status (e.g. after a replug) just before it takes the
      // next vend: the host must not read it as this vend's result.
      this.repeatOldStatusLeft--;
      this.sendNow(CMD.DISPENSE_STATUS, this.lastFinalStatus);
      this.emit({ type: 'stale_reply', cmd: CMD.DISPENSE_STATUS });
    }
    // A board that dies between acting on a vend and ACKing it: the motor starts, no ACK ever leaves.
    if (isVend && !duplicate && this.vendRebootBeforeAck(frame)) return;
    if (this.dropAckLeft > 0 || this.chance()) {
      if (this.dropAckLeft > 0) this.dropAckLeft--;
    } else {
      this.send(ACK);
    }
    this.emit({ type: 'command', cmd: frame.cmd, packNo: frame.packNo, duplicate });
    if (duplicate) {
      this.counters.duplicateCommands++;
      this.log(`vmc-sim: host retransmission PackNO ${frame.packNo} ignored`);
      return;
    }
    this.lastHostPackNo = frame.packNo;
    this.onCommand(frame.cmd, frame.text, frame.packNo);
  }

  /** Sends a data packet at once, outside the POLL slots (a board's stale retransmission). */
  private sendNow(cmd: number, text: number[]): void {
    const packNo = this.packNo;
    this.packNo = this.packNo >= 255 ? 1 : this.packNo + 1;
    this.counters.dataPacketsSent++;
    this.send(buildFrame(cmd, packNo, text));
  }

  private vendRebootBeforeAck(frame: SimFrame): boolean {
    const laneNo = this.vendLane(frame.cmd, frame.text);
    const lane = this.laneMap.get(laneNo);
    if (!lane || this.selectionStatus(laneNo) !== 0x01 || this.motorBusy) return false;
    const fault = this.peekLaneFault(laneNo);
    if (fault?.kind !== 'reboot_mid_vend' || fault.at !== 'before_ack') return false;
    this.takeLaneFault(laneNo);
    lane.stock--;
    this.record({
      lane: laneNo,
      at: new Date().toISOString(),
      result: 'interrupted',
      dropSeen: false,
      hostPackNo: frame.packNo ?? 0,
    });
    this.emit({ type: 'command', cmd: frame.cmd, packNo: frame.packNo ?? 0, duplicate: false });
    this.reboot(fault.downMs, 'before_ack');
    return true;
  }

  private vendLane(cmd: number, text: Buffer): number {
    const offset = cmd === CMD.DRIVE_DIRECT ? 2 : 0;
    return ((text[offset] ?? 0) << 8) | (text[offset + 1] ?? 0);
  }

  private notePollAnswer(): void {
    const at = this.pollSentAt;
    this.pollSentAt = null;
    if (at === null) return;
    const ms = performance.now() - at;
    this.counters.pollAnswers++;
    if (ms > ANSWER_DEADLINE_MS) this.counters.lateAnswers++;
    const lat = this.counters.answerLatenciesMs;
    lat.push(ms);
    if (lat.length > 10_000) lat.shift();
  }

  private onCommand(cmd: number, text: Buffer, packNo: number): void {
    const selection = ((text[0] ?? 0) << 8) | (text[1] ?? 0);
    switch (cmd) {
      case CMD.DRIVE_DIRECT:
        this.driveDirect((text[0] ?? 0) === 1, this.vendLane(cmd, text), packNo);
        return;
      case CMD.CHECK_SELECTION:
        this.answerSelectionCheck(selection);
        return;
      case CMD.SELECT_TO_BUY: {
        // The document and public host implementations: "select to buy" dispenses and reports with 0x04,
        // like 0x06, with the lane's own drop-sensor setting.
        const lane = this.laneMap.get(selection);
        this.driveDirect(lane?.dropSensor ?? true, selection, packNo);
        return;
      }
      case CMD.SET_STOCK:
        for (const l of this.lanesFor(selection)) l.stock = Math.min(text[2] ?? 0, 255);
        return;
      case CMD.SET_CAPACITY:
        for (const l of this.lanesFor(selection)) l.capacity = text[2] ?? 0;
        return;
      case CMD.SET_POLL_INTERVAL:
        this.setPollInterval(text[0]);
        return;
      case CMD.INFO_SYNC:
        for (const l of this.laneMap.values()) {
          const price = [
            (l.price >>> 24) & 0xff,
            (l.price >>> 16) & 0xff,
            (l.price >>> 8) & 0xff,
            l.price & 0xff,
          ];
          this.queue(CMD.SELECTION_INFO, [
            ...sel(l.lane),
            ...price,
            l.stock,
            l.capacity,
            ...sel(l.productId),
            l.paused ? 1 : 0,
          ]);
        }
        return;
      case CMD.MACHINE_STATUS_REQUEST:
        this.queue(CMD.MACHINE_STATUS, this.machineStatusText());
        return;
      case CMD.LIFT_STATUS_REQUEST:
        this.queue(CMD.LIFT_STATUS, [this.doorOpen ? 0x02 : 0x00]);
        return;
      default:
        return; // ACKed, nothing to do
    }
  }

  private answerSelectionCheck(selection: number): void {
    const reply = [this.selectionStatus(selection), ...sel(selection)];
    if (this.lateSelection) {
      // Held back until the next vend command: the host has given up on it by then (stale_reply fault).
      if (this.lateSelection.status !== undefined) reply[0] = this.lateSelection.status;
      this.heldSelectionReply = reply;
      this.lateSelection = null;
      return;
    }
    this.queue(CMD.SELECTION_STATUS, reply);
  }

  private lanesFor(selection: number): Lane[] {
    if (selection === 0) return [...this.laneMap.values()];
    const l = this.laneMap.get(selection);
    return l ? [l] : [];
  }

  private selectionStatus(selection: number): number {
    const l = this.laneMap.get(selection);
    if (!l) return 0x03;
    if (l.paused) return 0x04;
    if (l.stock <= 0) return 0x02;
    return 0x01;
  }

  private machineStatusText(): number[] {
    const id = Buffer.alloc(10);
    id.write((this.opts.machineId ?? 'SIM0000001').slice(0, 10), 'latin1');
    const temperature = [(this.opts.temperatureC ?? 4) & 0xff, 0, 0, 0, 0, 0, 0, 0];
    const humidity = [50, 0, 0, 0, 0, 0, 0, 0];
    return [0, 0, 0, 0, this.doorOpen ? 1 : 0, 0, 0, 0, 0, 0, 0, 0, 0, ...id, ...temperature, ...humidity];
  }

  // ---------------------------------------------------------------- motors

  private peekLaneFault(lane: number): CountedLaneFault | null {
    return this.laneFaults.find((x) => x.left > 0 && (x.lane === undefined || x.lane === lane)) ?? null;
  }

  private takeLaneFault(lane: number): CountedLaneFault | null {
    const f = this.peekLaneFault(lane);
    if (!f) return null;
    f.left--;
    if (f.left <= 0) this.laneFaults = this.laneFaults.filter((x) => x !== f);
    return f;
  }

  private record(run: MotorRun): void {
    this.runs.push(run);
    this.log(`vmc-sim: motor run lane ${run.lane}: ${run.result}`);
    if (this.opts.recordFile) appendFileSync(this.opts.recordFile, JSON.stringify(run) + '\n');
    this.emit({ type: 'motor_run', run: { ...run } });
  }

  private finalStatus(code: number, laneNo: number): void {
    this.lastFinalStatus = [code, ...sel(laneNo)];
    this.queue(CMD.DISPENSE_STATUS, this.lastFinalStatus);
  }

  private driveDirect(dropSensorWanted: boolean, laneNo: number, packNo: number): void {
    if (this.heldSelectionReply) {
      // The late 0x02 of a lane check the host gave up on, arriving while this vend runs.
      this.queue(CMD.SELECTION_STATUS, this.heldSelectionReply);
      this.heldSelectionReply = null;
      this.emit({ type: 'stale_reply', cmd: CMD.SELECTION_STATUS });
    }
    const lane = this.laneMap.get(laneNo);
    if (!lane || this.selectionStatus(laneNo) !== 0x01 || this.motorBusy) {
      // Refused without running a motor. The document does not say how a board refuses a direct drive;
      // this one ends the purchase (FF), which the host must not read as "nothing came out".
      this.finalStatus(0xff, laneNo);
      return;
    }
    const fault = this.takeLaneFault(laneNo);
    if (fault?.kind === 'motor_missing') {
      this.finalStatus(0x06, laneNo);
      return;
    }
    if (fault?.kind === 'reboot_mid_vend' && fault.at === 'after_ack') {
      this.reboot(fault.downMs, 'after_ack'); // ACKed, then the power went before the motor started
      return;
    }
    const at = new Date().toISOString();
    this.motorBusy = true;
    if (this.opts.reportDispensing !== false) this.queue(CMD.DISPENSE_STATUS, [0x01, ...sel(laneNo)]);
    const gen = this.generation;
    if (fault?.kind === 'reboot_mid_vend' && fault.at !== 'before_result') {
      // The motor is turning when the board loses power: the goods may well have come out.
      this.later(Math.floor(this.motorMs / 2), () => {
        if (gen !== this.generation) return;
        lane.stock--;
        this.record({ lane: laneNo, at, result: 'interrupted', dropSeen: false, hostPackNo: packNo });
        this.reboot(fault.downMs, 'motor');
      });
      return;
    }
    const held = this.holdMotor !== null && (this.holdMotor.lane ?? laneNo) === laneNo;
    if (held) this.holdMotor = null;
    const finishRun = (): void => {
      if (gen !== this.generation) return;
      this.motorBusy = false;
      const sensorOn = dropSensorWanted && lane.dropSensor;
      let result: MotorResult = 'dispensed';
      let code = 0x02;
      let dropSeen = sensorOn;
      switch (fault?.kind) {
        case 'jam':
          [result, code, dropSeen] = ['jammed', 0x03, false];
          break;
        case 'motor_not_stop':
          [result, code, dropSeen] = ['motor_not_stopped', 0x04, false];
          break;
        case 'elevator_error':
          [result, code, dropSeen] = ['elevator_error', 0x07, false];
          break;
        case 'no_drop':
          // The spiral turned; the sensor saw nothing. The document has no "no drop" code: this board
          // reports it as FF "purchase terminated". Without a sensor the board cannot tell at all.
          lane.stock--;
          [result, code, dropSeen] = ['no_drop', sensorOn ? 0xff : 0x02, false];
          break;
        default:
          lane.stock--;
      }
      this.record({ lane: laneNo, at, result, dropSeen, hostPackNo: packNo });
      if (fault?.kind === 'reboot_mid_vend') {
        this.reboot(fault.downMs, 'before_result'); // the run finished; its 0x04 never left
        return;
      }
      this.finalStatus(code, laneNo);
    };
    if (!held) {
      this.later(this.motorMs, finishRun);
      return;
    }
    this.heldRun = finishRun;
    this.emit({ type: 'motor_held', lane: laneNo });
  }

  /**
   * 0x16, as the document gives it: one byte, the interval in units of 100 ms, settable 100 ms – 2 s. The
   * packet was ACKed like any other; a value outside 1..20 is not applied (the document gives no range
   * beyond it, and no reply). The new interval counts from the next POLL.
   */
  private setPollInterval(units: number | undefined): void {
    if (units === undefined || units < MIN_POLL_UNITS || units > MAX_POLL_UNITS) {
      this.log(
        `vmc-sim: POLL interval ${String(units)} × 100 ms out of range: kept ${this.pollIntervalMs} ms`,
      );
      return;
    }
    if (units * 100 === this.pollIntervalMs) return;
    this.pollIntervalMs = units * 100;
    this.log(`vmc-sim: POLL interval now ${this.pollIntervalMs} ms`);
    this.startTicker();
    this.emit({ type: 'poll_interval', ms: this.pollIntervalMs });
  }

  reboot(downMs: number, at: RebootPoint | 'now' = 'now'): void {
    this.counters.reboots++;
    this.generation++;
    this.log(`vmc-sim: rebooting (${downMs} ms off, ${at})`);
    this.silentUntil = Date.now() + downMs;
    this.packNo = 1;
    this.lastHostPackNo = null;
    this.outbox = [];
    this.inFlight = null;
    this.pollSentAt = null;
    this.motorBusy = false;
    this.heldSelectionReply = null;
    this.lastFinalStatus = null;
    this.heldRun = null;
    this.poweringUp = true;
    // The document does not say the interval set by 0x16 survives a restart; this board forgets it (the
    // harder case for a host, which must set it again).
    if (this.pollIntervalMs !== this.powerOnPollMs) {
      this.pollIntervalMs = this.powerOnPollMs;
      this.startTicker();
      this.emit({ type: 'poll_interval', ms: this.pollIntervalMs });
    }
    this.powerUp();
    this.emit({ type: 'reboot', downMs, at });
  }

  /** Power-up: the board's first packet is its 0x31, sent (and resent) before anything else. */
  private powerUp(): void {
    if (this.opts.announceRestart !== false) this.queue(CMD.INFO_SYNC, []);
  }
}

// ZDM8-family spiral/belt drive board over Modbus RTU (research/vending.md §2.3). Here the kiosk is the
// master: vend = write 0x2001 (func 0x10); the echo only means "accepted", the outcome is polled from
// register 0x0003 ([running state, fault code]); 0x0008 is the drop detector's health. A final state stays in
// 0x0003 until it is read: after an agent restart, the result found there before this process sends a vend
// is the previous process's last vend's (`latched_result`, for recovery; see zdm8-latch.ts).
//
// The vendor manual's state and fault values are not public; the ones below are what our simulator
// (sim/vmc/zdm8-sim.ts) implements. Check them against the manual of the board you wire.
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
import { ModbusReplyReader, readRegisters, writeRegisters } from './modbus-rtu.ts';
import { PortKeeper } from './port-keeper.ts';
import type { ModbusReply } from './modbus-rtu.ts';
import { Zdm8Latch, ZDM8_STATE } from './zdm8-latch.ts';

export { ZDM8_STATE } from './zdm8-latch.ts';

export const ZDM8_REG = {
  STATUS: 0x0003,
  TEMPERATURE: 0x0004,
  DOOR: 0x0005,
  DROP_SENSOR: 0x0008,
  VEND: 0x2001,
} as const;

/** Low byte of register 0x0003 after a failure. */
const FAULTS: ReadonlyMap<number, { kind: 'not_delivered' | 'unverified'; text: string }> = new Map([
  [0x01, { kind: 'not_delivered', text: 'motor timeout (jammed)' }],
  [0x02, { kind: 'not_delivered', text: 'motor overcurrent' }],
  [0x03, { kind: 'unverified', text: 'motor ran but no drop was detected' }],
  [0x04, { kind: 'unverified', text: 'drop detector blocked or not connected' }],
  [0x05, { kind: 'not_delivered', text: 'motor not connected' }],
  [0x06, { kind: 'not_delivered', text: 'lift fault' }],
] as const);

export interface Zdm8Timing {
  readonly replyTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly linkDownAfterMs: number;
  readonly statusPollMs: number;
  readonly vendResultTimeoutMs: number;
  readonly reopenAfterSilenceMs: number;
  readonly reopenBackoffMs: number;
  readonly reopenBackoffMaxMs: number;
}

export const DEFAULT_ZDM8_TIMING: Zdm8Timing = {
  replyTimeoutMs: 300,
  heartbeatMs: 500,
  linkDownAfterMs: 1500,
  statusPollMs: 200,
  vendResultTimeoutMs: 60_000,
  reopenAfterSilenceMs: 3000,
  reopenBackoffMs: 250,
  reopenBackoffMaxMs: 5000,
};

export interface Zdm8DispenserOptions {
  /** e.g. `() => openSerialPort(path, 9600)`. */
  readonly openPort: () => Promise<Duplex>;
  readonly dropSensor: boolean;
  readonly lift?: boolean;
  /** Modbus slave address (default 1). */
  readonly unit?: number;
  /** 0x2001 lane type: 0 auto, 1 spring, 2 e-lock, 3 belt, 4 timed. */
  readonly laneType?: number;
  readonly log?: (line: string) => void;
  readonly timing?: Partial<Zdm8Timing>;
}

export class Zdm8DispenserError extends Error {
  override readonly name = 'Zdm8DispenserError';
}

export function createZdm8Dispenser(opts: Zdm8DispenserOptions): Dispenser {
  return new Zdm8Driver(opts);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Zdm8Driver implements Dispenser {
  readonly capabilities: DispenserCapabilities;
  private readonly timing: Zdm8Timing;
  private readonly unit: number;
  private readonly log: (line: string) => void;
  private readonly listeners: DispenserListeners;
  private readonly reader = new ModbusReplyReader();
  private readonly port: PortKeeper;
  private link: LinkState = 'down';
  private closed = false;
  private lastReplyAt = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Modbus is strictly one request at a time. */
  private bus: Promise<unknown> = Promise.resolve();
  private pending: { func: number; resolve: (r: ModbusReply | null) => void } | null = null;
  private vendChain: Promise<unknown> = Promise.resolve();
  private vending = false;
  private dropSensorHealthy: boolean | null = null;
  private readonly latch = new Zdm8Latch();
  /** A motor no vend of this process started was seen turning (logged once). */
  private leftoverTurning = false;

  constructor(private readonly opts: Zdm8DispenserOptions) {
    this.capabilities = { dropSensor: opts.dropSensor, lift: opts.lift ?? false };
    this.timing = { ...DEFAULT_ZDM8_TIMING, ...opts.timing };
    this.unit = opts.unit ?? 1;
    this.log = opts.log ?? (() => {});
    this.listeners = new DispenserListeners(this.log);
    this.heartbeat = setInterval(() => void this.beat(), this.timing.heartbeatMs);
    this.port = new PortKeeper({
      open: opts.openPort,
      backoffMs: this.timing.reopenBackoffMs,
      backoffMaxMs: this.timing.reopenBackoffMaxMs,
      log: this.log,
      onOpen: (stream) => {
        this.lastReplyAt = Date.now();
        stream.on('data', (chunk: Buffer) => this.onData(chunk));
      },
      onLost: (reason) => this.setLink('down', reason),
    });
  }

  get linkState(): LinkState {
    return this.link;
  }

  onEvent(listener: (e: DispenserEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  // ---------------------------------------------------------------- port and link

  private setLink(state: LinkState, detail: string): void {
    if (this.link === state) return;
    this.link = state;
    if (state === 'up') this.port.resetBackoff();
    this.log(`link ${state}: ${detail}`);
    this.listeners.emit({ type: 'link', state, detail });
  }

  /** Heartbeat: read the drop detector's health; silence takes the link down, then reopens the port. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    const silentFor = Date.now() - this.lastReplyAt;
    if (silentFor > this.timing.linkDownAfterMs)
      this.setLink('down', `no reply from the board for ${silentFor} ms`);
    const stream = this.port.stream;
    if (stream && this.timing.reopenAfterSilenceMs > 0 && silentFor > this.timing.reopenAfterSilenceMs) {
      this.port.lost(stream, `board silent for ${silentFor} ms`);
      return;
    }
    if (this.vending || this.pending) return;
    // A result may wait in 0x0003 (left by the previous process, or by a vend that lost the board): read it
    // first, so that it is reported, and cleared before the next vend intent is marked.
    if (this.latch.owed) {
      const status = await this.readStatus();
      if (status) this.onLeftoverStatus(status);
      return;
    }
    const reply = await this.read(ZDM8_REG.DROP_SENSOR, 1);
    if (reply) this.dropSensorHealthy = reply.readUInt16BE(0) === 1;
  }

  private onData(chunk: Buffer): void {
    const p = this.pending;
    if (!p) return; // unsolicited bytes: a Modbus slave never talks first
    const reply = this.reader.push(chunk, this.unit, p.func);
    if (!reply) return;
    this.pending = null;
    this.lastReplyAt = Date.now();
    this.setLink('up', 'board answers');
    p.resolve(reply);
  }

  /** One request/reply on the bus; null on timeout, bad CRC or exception. Never rejects. */
  private transact(request: Buffer, func: number): Promise<ModbusReply | null> {
    const run = this.bus.then(
      () =>
        new Promise<ModbusReply | null>((resolve) => {
          if (!this.port.stream || this.closed) return resolve(null);
          this.reader.reset();
          const timer = setTimeout(() => {
            this.pending = null;
            resolve(null);
          }, this.timing.replyTimeoutMs);
          this.pending = {
            func,
            resolve: (r) => {
              clearTimeout(timer);
              resolve(r);
            },
          };
          this.port.write(request);
        }),
    );
    this.bus = run;
    return run;
  }

  private async read(register: number, count: number): Promise<Buffer | null> {
    const reply = await this.transact(readRegisters(this.unit, register, count), 0x03);
    if (!reply || reply.exception !== null || reply.data.length < count * 2) return null;
    return reply.data;
  }

  /** Reads 0x0003; the read itself resets a final state to idle on the board, and the latch notes it. */
  private async readStatus(): Promise<Buffer | null> {
    const status = await this.read(ZDM8_REG.STATUS, 1);
    if (status) this.latch.read(status[0] ?? ZDM8_STATE.IDLE);
    return status;
  }

  /**
   * A 0x0003 state that no vend of this process is waiting for. Before this process sent any vend command, a
   * final state is the result of the previous process's last command: recovery's evidence. Later it can only
   * be the late result of a vend that lost the board (already settled without it): logged.
   */
  private onLeftoverStatus(status: Buffer): void {
    const [state = ZDM8_STATE.IDLE, fault = 0] = status;
    const code = (state << 8) | fault;
    const shown = `0x${code.toString(16).padStart(4, '0')}`;
    const wasTurning = this.leftoverTurning;
    this.leftoverTurning = state === ZDM8_STATE.RUNNING;
    if (this.leftoverTurning) {
      if (!wasTurning)
        this.log(`0x0003 = ${shown}: a motor started earlier still turns; waiting for its result`);
      return;
    }
    const outcome = this.finalOutcome(status);
    if (!outcome) return;
    if (!this.latch.beforeFirstCommand) {
      this.log(`0x0003 = ${shown}: late result of an earlier vend (${outcome.kind}), read and cleared`);
      return;
    }
    this.log(`0x0003 = ${shown}: result latched before this process sent a vend (${outcome.kind})`);
    this.listeners.emit({ type: 'latched_result', code, outcome });
  }

  // ---------------------------------------------------------------- Dispenser API

  vend(lane: Lane, txn: string): Promise<VendOutcome> {
    if (this.closed) return Promise.reject(new Zdm8DispenserError('dispenser is closed'));
    if (!Number.isInteger(lane) || lane < 0 || lane > 99) {
      return Promise.reject(new Zdm8DispenserError(`ZDM8 lanes are 0..99 (tens = row), got ${String(lane)}`));
    }
    this.latch.queue();
    const run = this.vendChain.then(() => this.runVend(lane, txn)).finally(() => this.latch.dequeue());
    this.vendChain = run.catch(() => undefined);
    return run;
  }

  vendMark(): VendMark | null {
    return this.latch.mark();
  }

  private async runVend(lane: Lane, txn: string): Promise<VendOutcome> {
    this.vending = true;
    try {
      const outcome = await this.vendOnce(lane);
      this.log(
        `vend ${txn} lane ${lane}: ${outcome.kind}${'reason' in outcome ? ` (${outcome.reason})` : ''}`,
      );
      if (outcome.kind !== 'delivered') {
        this.listeners.emit({
          type: 'fault',
          detail: `vend on lane ${lane}: ${outcome.kind}: ${outcome.reason}`,
          lane,
        });
      }
      return outcome;
    } finally {
      this.vending = false;
    }
  }

  private async vendOnce(lane: Lane): Promise<VendOutcome> {
    if (this.link !== 'up') return { kind: 'not_delivered', reason: 'board not answering; vend not sent' };
    // Clear a stale final state first, so "success" below can only be this vend's. A motor still turning (a
    // vend of the previous process) is waited for: the board runs one vend at a time.
    const busyUntil = Date.now() + this.timing.vendResultTimeoutMs;
    let before = await this.readStatus();
    while (before?.[0] === ZDM8_STATE.RUNNING && Date.now() < busyUntil) {
      this.onLeftoverStatus(before);
      await sleep(this.timing.statusPollMs);
      before = await this.readStatus();
    }
    if (!before)
      return { kind: 'not_delivered', reason: 'board did not answer the status read; vend not sent' };
    if (before[0] === ZDM8_STATE.RUNNING)
      return { kind: 'not_delivered', reason: 'board busy with another vend' };
    this.onLeftoverStatus(before);
    const command = writeRegisters(this.unit, ZDM8_REG.VEND, [
      lane,
      this.opts.laneType ?? 0,
      this.capabilities.dropSensor ? 1 : 0,
      this.capabilities.lift ? 1 : 0,
    ]);
    let accepted = false;
    for (let attempt = 1; attempt <= 3 && !accepted; attempt++) {
      this.latch.writing();
      const echo = await this.transact(command, 0x10);
      if (echo && echo.exception !== null) {
        this.latch.refused();
        return {
          kind: 'not_delivered',
          reason: `board refused the vend (Modbus exception ${echo.exception})`,
        };
      }
      if (echo) {
        accepted = true;
        break;
      }
      // No echo: did the board take it? Its state tells, because a final state stays until it is read.
      const status = await this.readStatus();
      if (!status) {
        return { kind: 'unverified', reason: 'vend sent but the board stopped answering' };
      }
      if (status[0] !== ZDM8_STATE.IDLE) {
        accepted = true;
        // Reading a final state resets it to idle, so this read may be the only one that sees the result.
        const final = this.finalOutcome(status);
        if (final) return final;
      } else this.log(`vend echo lost and board idle: resending (attempt ${attempt + 1})`);
    }
    if (!accepted)
      return { kind: 'not_delivered', reason: 'board never acknowledged the vend and stayed idle' };

    const deadline = Date.now() + this.timing.vendResultTimeoutMs;
    let silentSince: number | null = null;
    while (Date.now() < deadline) {
      await sleep(this.timing.statusPollMs);
      const status = await this.readStatus();
      if (!status) {
        silentSince ??= Date.now();
        if (Date.now() - silentSince > this.timing.linkDownAfterMs) {
          return { kind: 'unverified', reason: 'link to the board lost while vending' };
        }
        continue;
      }
      silentSince = null;
      if (status[0] === ZDM8_STATE.RUNNING) continue;
      const final = this.finalOutcome(status);
      if (final) return final;
      // Idle without a final state: the board restarted mid-vend (or someone else read the result).
      return { kind: 'unverified', reason: 'board went idle without reporting a result (restart?)' };
    }
    return { kind: 'unverified', reason: `no result within ${this.timing.vendResultTimeoutMs} ms` };
  }

  /** Register 0x0003 → the vend outcome, or null while running / idle. */
  private finalOutcome(status: Buffer): VendOutcome | null {
    const [state = 0, fault = 0] = status;
    if (state === ZDM8_STATE.SUCCESS) {
      return {
        kind: 'delivered',
        dropConfirmed: this.capabilities.dropSensor && this.dropSensorHealthy !== false,
      };
    }
    if (state === ZDM8_STATE.FAILED) {
      const f = FAULTS.get(fault);
      const reason = `${f?.text ?? 'vend failed'} (fault 0x${fault.toString(16).padStart(2, '0')})`;
      return { kind: f?.kind ?? 'unverified', reason, code: fault };
    }
    return null;
  }

  async laneStatus(lane: Lane): Promise<LaneStatus> {
    if (!Number.isInteger(lane) || lane < 0 || lane > 99)
      throw new Zdm8DispenserError(`ZDM8 lanes are 0..99, got ${lane}`);
    // The board keeps no per-lane stock: only the link and the drop detector say anything.
    if (this.link !== 'up') return { lane, state: 'unknown', detail: 'board not answering' };
    if (this.capabilities.dropSensor && this.dropSensorHealthy === false) {
      return { lane, state: 'fault', detail: 'drop detector blocked or not connected (0x0008 = 0)' };
    }
    return { lane, state: 'ok', detail: 'board answering (ZDM8 keeps no per-lane status)' };
  }

  async machineStatus(): Promise<MachineStatus> {
    const t = await this.read(ZDM8_REG.TEMPERATURE, 1);
    const d = await this.read(ZDM8_REG.DOOR, 1);
    const temperatureC = t ? Math.round(t.readInt16BE(0) / 10) : null;
    const doorOpen = d ? d.readUInt16BE(0) !== 0 : null;
    const parts = [
      t ? `temperature ${temperatureC} °C` : 'no temperature',
      d ? `door ${doorOpen ? 'open' : 'closed'}` : 'no door status',
      `drop detector ${this.dropSensorHealthy === null ? 'unknown' : this.dropSensorHealthy ? 'ok' : 'fault'}`,
    ];
    return {
      doorOpen,
      temperatureC,
      lift: this.capabilities.lift ? null : 'absent',
      detail: parts.join('; '),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.pending?.resolve(null);
    this.pending = null;
    if (this.link === 'up') {
      this.link = 'down';
      this.listeners.emit({ type: 'link', state: 'down', detail: 'dispenser closed' });
    }
    await this.port.close();
  }
}

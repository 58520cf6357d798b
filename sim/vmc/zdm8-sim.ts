// A simulated ZDM8-family drive board: a Modbus RTU slave (address 1) on any Duplex stream.
// Vend = write 0x2001 (2 registers: lane, lane type, drop detect, lift); result in register 0x0003 as
// [running state, fault code]; a final state returns to idle once it has been read (the fault code stays).
// That result register is the board's own memory: it outlives the host (an agent killed and restarted finds it
// as it was left, a motor still turning included) and is lost only when the board itself restarts.
import { appendFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { MotorResult, MotorRun } from './vmc-sim.ts';

export type Zdm8Fault =
  | {
      readonly kind: 'jam' | 'no_drop' | 'motor_missing' | 'reboot_mid_vend';
      readonly lane?: number;
      readonly times?: number;
    }
  /** The board acts on the next `times` vend writes but its echo is lost. */
  | { readonly kind: 'drop_echo'; readonly times?: number }
  /** The next `times` replies carry a wrong CRC. */
  | { readonly kind: 'corrupt_crc'; readonly times?: number }
  | { readonly kind: 'silence'; readonly ms: number }
  | { readonly kind: 'drop_sensor_blocked'; readonly blocked: boolean }
  | { readonly kind: 'door_open'; readonly open: boolean }
  /** The next vend (on `lane`, or any) turns its motor until releaseMotor(); combines with a lane fault. */
  | { readonly kind: 'hold_motor'; readonly lane?: number };

export interface Zdm8SimOptions {
  readonly stream: Duplex;
  /** Lanes 0..99 with their stock; an empty lane turns its motor and drops nothing. */
  readonly lanes: ReadonlyArray<{ lane: number; stock: number }>;
  readonly motorMs?: number;
  readonly unit?: number;
  readonly recordFile?: string;
  readonly faults?: readonly Zdm8Fault[];
  readonly log?: (line: string) => void;
}

/** Register 0x0003 as it stands, without reading it (a read would reset a final state). */
export interface Zdm8Register {
  readonly state: 'idle' | 'running' | 'success' | 'failed';
  readonly fault: number;
  /** The lane of the motor turning now, or null. */
  readonly turningLane: number | null;
}

export interface Zdm8Sim {
  motorRuns(): MotorRun[];
  register(): Zdm8Register;
  /** Lets a motor held by the `hold_motor` fault finish its run; false when none is held. */
  releaseMotor(): boolean;
  /**
   * The board restarts (power blip): a motor turning stops (its run recorded `interrupted`), the result
   * register is idle again, and the board is silent for `downMs`.
   */
  reboot(downMs?: number): void;
  stock(lane: number): number | undefined;
  setFault(fault: Zdm8Fault | readonly Zdm8Fault[]): void;
  stats(): { requests: number; badCrc: number; vendWrites: number };
  close(): Promise<void>;
}

const IDLE = 0;
const RUNNING = 1;
const SUCCESS = 2;
const FAILED = 3;

function crc(bytes: readonly number[]): [number, number] {
  let c = 0xffff;
  for (const b of bytes) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  }
  return [c & 0xff, c >>> 8];
}

export function startZdm8Sim(opts: Zdm8SimOptions): Zdm8Sim {
  const unit = opts.unit ?? 1;
  const motorMs = opts.motorMs ?? 300;
  const log = opts.log ?? (() => {});
  const stockOf = new Map(opts.lanes.map((l) => [l.lane, l.stock]));
  const runs: MotorRun[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const counters = { requests: 0, badCrc: 0, vendWrites: 0 };
  let rx: number[] = [];
  let state = IDLE;
  let fault = 0;
  let generation = 0;
  let silentUntil = 0;
  let laneFaults: Array<{ kind: string; lane: number | undefined; left: number }> = [];
  let dropEcho = 0;
  let corrupt = 0;
  let sensorBlocked = false;
  let holdNext: { lane: number | undefined } | null = null;
  let heldRun: (() => void) | null = null;
  let turningLane: number | null = null;
  let doorOpen = false;
  let closed = false;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const reply = (body: number[]): void => {
    const frame = [...body, ...crc(body)];
    if (corrupt > 0) {
      corrupt--;
      frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
    }
    opts.stream.write(Buffer.from(frame));
  };

  const register = (r: number): number => {
    switch (r) {
      case 0x0001:
        return 0x2401; // HW version (BCD year/month)
      case 0x0003: {
        const value = (state << 8) | fault;
        if (state === SUCCESS || state === FAILED) state = IDLE; // read once, then idle
        return value;
      }
      case 0x0004:
        return 40; // 4.0 °C
      case 0x0005:
        return doorOpen ? 1 : 0;
      case 0x0008:
        return sensorBlocked ? 0 : 1;
      default:
        return 0;
    }
  };

  const record = (run: MotorRun): void => {
    runs.push(run);
    if (opts.recordFile) appendFileSync(opts.recordFile, JSON.stringify(run) + '\n');
  };

  const takeFault = (lane: number) => {
    const f = laneFaults.find((x) => x.left > 0 && (x.lane === undefined || x.lane === lane));
    if (f) {
      f.left--;
      if (f.left <= 0) laneFaults = laneFaults.filter((x) => x !== f);
    }
    return f?.kind;
  };

  const startVend = (lane: number, dropDetect: boolean): void => {
    if (state === RUNNING) return;
    const f = takeFault(lane);
    const at = new Date().toISOString();
    if (f === 'motor_missing') {
      [state, fault] = [FAILED, 0x05];
      return;
    }
    if (f === 'reboot_mid_vend') {
      stockOf.set(lane, Math.max(0, (stockOf.get(lane) ?? 0) - 1));
      record({ lane, at, result: 'interrupted', dropSeen: false, hostPackNo: 0 });
      generation++;
      silentUntil = Date.now() + 800;
      [state, fault] = [IDLE, 0];
      return;
    }
    [state, fault] = [RUNNING, 0];
    turningLane = lane;
    const gen = generation;
    const held = holdNext !== null && (holdNext.lane ?? lane) === lane;
    if (held) holdNext = null;
    const finish = (): void => {
      if (gen !== generation) return;
      turningLane = null;
      const stock = stockOf.get(lane) ?? 0;
      let result: MotorResult = 'dispensed';
      if (f === 'jam') {
        result = 'jammed';
        [state, fault] = [FAILED, 0x01];
      } else if (f === 'no_drop' || stock <= 0 || (dropDetect && sensorBlocked)) {
        if (stock > 0 && f === 'no_drop') stockOf.set(lane, stock - 1);
        result = 'no_drop';
        // Without drop detection the board cannot tell: it reports success.
        [state, fault] = dropDetect ? [FAILED, sensorBlocked ? 0x04 : 0x03] : [SUCCESS, 0];
      } else {
        stockOf.set(lane, stock - 1);
        [state, fault] = [SUCCESS, 0];
      }
      record({ lane, at, result, dropSeen: result === 'dispensed' && dropDetect, hostPackNo: 0 });
      log(`zdm8-sim: lane ${lane} ${result}`);
    };
    if (held) heldRun = finish;
    else later(motorMs, finish);
  };

  const handle = (frame: number[]): void => {
    counters.requests++;
    const func = frame[1];
    const reg = ((frame[2] ?? 0) << 8) | (frame[3] ?? 0);
    const count = ((frame[4] ?? 0) << 8) | (frame[5] ?? 0);
    if (func === 0x03) {
      const data: number[] = [];
      for (let i = 0; i < count; i++) {
        const v = register(reg + i);
        data.push(v >> 8, v & 0xff);
      }
      reply([unit, 0x03, data.length, ...data]);
      return;
    }
    if (func === 0x10) {
      if (reg !== 0x2001 || count !== 2) {
        reply([unit, 0x90, 0x02]); // illegal data address
        return;
      }
      counters.vendWrites++;
      const [lane = 0, , drop = 0] = frame.slice(7, 11);
      startVend(lane, drop === 1);
      if (dropEcho > 0) {
        dropEcho--;
        return;
      }
      reply([unit, 0x10, 0x20, 0x01, 0x00, 0x02]);
      return;
    }
    reply([unit, (func ?? 0) | 0x80, 0x01]); // illegal function
  };

  /** Requests have known lengths (0x03: 8, 0x10: 9 + byte count); resync byte by byte on a bad CRC. */
  const onData = (chunk: Buffer): void => {
    if (closed || Date.now() < silentUntil) return;
    rx.push(...chunk);
    while (rx.length >= 8) {
      if (rx[0] !== unit) {
        rx.shift();
        continue;
      }
      const len = rx[1] === 0x10 ? 9 + (rx[6] ?? 0) : 8;
      if (rx.length < len) return;
      const frame = rx.slice(0, len);
      const [lo, hi] = crc(frame.slice(0, -2));
      if (frame[len - 2] !== lo || frame[len - 1] !== hi) {
        counters.badCrc++;
        rx.shift();
        continue;
      }
      rx = rx.slice(len);
      handle(frame);
    }
  };
  opts.stream.on('data', onData);

  const api: Zdm8Sim = {
    motorRuns: () => runs.map((r) => ({ ...r })),
    register: () => ({
      state: (['idle', 'running', 'success', 'failed'] as const)[state] ?? 'idle',
      fault,
      turningLane,
    }),
    reboot(downMs = 0) {
      generation++;
      heldRun = null;
      if (state === RUNNING && turningLane !== null)
        record({
          lane: turningLane,
          at: new Date().toISOString(),
          result: 'interrupted',
          dropSeen: false,
          hostPackNo: 0,
        });
      [state, fault, turningLane] = [IDLE, 0, null];
      silentUntil = Date.now() + downMs;
      log('zdm8-sim: board restarted');
    },
    releaseMotor() {
      const run = heldRun;
      heldRun = null;
      run?.();
      return run !== null;
    },
    stock: (lane) => stockOf.get(lane),
    stats: () => ({ ...counters }),
    setFault(f) {
      const list: readonly Zdm8Fault[] = Array.isArray(f) ? f : [f as Zdm8Fault];
      for (const x of list) {
        switch (x.kind) {
          case 'drop_echo':
            dropEcho += x.times ?? 1;
            break;
          case 'corrupt_crc':
            corrupt += x.times ?? 1;
            break;
          case 'silence':
            silentUntil = Date.now() + x.ms;
            break;
          case 'drop_sensor_blocked':
            sensorBlocked = x.blocked;
            break;
          case 'door_open':
            doorOpen = x.open;
            break;
          case 'hold_motor':
            holdNext = { lane: x.lane };
            break;
          default:
            laneFaults.push({ kind: x.kind, lane: x.lane, left: x.times ?? 1 });
        }
      }
    },
    async close() {
      closed = true;
      heldRun = null;
      for (const t of timers) clearTimeout(t);
      opts.stream.off('data', onData);
    },
  };
  if (opts.faults) api.setFault(opts.faults);
  return api;
}

// A 0xFA 0xFB driver wired to vmc-sim, over an in-memory line or a real socat PTY, plus the ground truth
// every vend is judged by: vmc-sim's record of motor runs, attributed to vends by the PackNO that started
// each run. The three rules (issue 8): at most one run per vend; delivered only with the board's success;
// not_delivered only when no motor ran.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { createFafbDispenser, openSerialPort } from '../../app/dispenser/index.ts';
import type { DispenserEvent, FafbDispenser, FafbTiming, VendOutcome } from '../../app/dispenser/index.ts';
import { createMemoryLine, startVmcSim } from '../../sim/vmc/index.ts';
import { startPtyPair } from './socat-pty.ts';
import type {
  MemoryLine,
  MotorRun,
  SimFault,
  SimLaneConfig,
  VmcSim,
  VmcSimEvent,
} from '../../sim/vmc/index.ts';

export type Transport = 'in-memory line' | 'socat PTY';
export const TRANSPORTS: readonly Transport[] = ['in-memory line', 'socat PTY'];

/** Timing scaled to a board that POLLs every 20 ms. */
export const FAST: Partial<FafbTiming> = {
  linkDownAfterMs: 400,
  vendResultTimeoutMs: 2000,
  commandSendTimeoutMs: 1000,
  statusTimeoutMs: 1000,
  reopenAfterSilenceMs: 0,
  reopenBackoffMs: 50,
};

/** Timing for a board POLLing at the document's pace, every 100–500 ms (FAST is scaled to 20 ms POLLs). */
export const BOARD_PACE_TIMING: Partial<FafbTiming> = {
  linkDownAfterMs: 2000,
  commandSendTimeoutMs: 3000,
  statusTimeoutMs: 3000,
};

export interface Cable {
  readonly board: Duplex;
  openHost(): Promise<Duplex>;
  /** The in-memory line, for unplug/plug (null over a PTY). */
  readonly line: MemoryLine | null;
  close(): Promise<void>;
}

/** The two ends of the cable: the board's stream, and how the driver opens its end. */
export async function cable(transport: Transport): Promise<Cable> {
  if (transport === 'in-memory line') {
    const line = createMemoryLine();
    return { board: line.board, openHost: () => line.openHost(), line, close: async () => {} };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fafb-pty-'));
  const pty = await startPtyPair(path.join(dir, 'board'), path.join(dir, 'kiosk'));
  const board = await openSerialPort(pty.a);
  return {
    board,
    openHost: () => openSerialPort(pty.b),
    line: null,
    close: async () => {
      board.on('error', () => {});
      await new Promise<void>((resolve) =>
        board.destroyed ? resolve() : board.once('close', () => resolve()).destroy(),
      );
      await pty.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Motor runs per vend, from vmc-sim's own record. */
export class GroundTruth {
  private readonly txnByPackNo = new Map<number, string>();
  private readonly runs = new Map<string, MotorRun[]>();
  readonly orphanRuns: MotorRun[] = [];

  /** Feed it the driver's log: "-> vend TXN lane N PackNO P" says which PackNO carries which vend. */
  readonly driverLog = (line: string): void => {
    const m = /^-> vend (\S+) lane \d+ PackNO (\d+)/.exec(line);
    if (m) this.txnByPackNo.set(Number(m[2]), m[1] ?? '');
  };

  watch(sim: VmcSim): void {
    sim.onEvent((e) => {
      if (e.type !== 'motor_run') return;
      const txn = this.txnByPackNo.get(e.run.hostPackNo);
      if (txn === undefined) this.orphanRuns.push(e.run);
      else this.runs.set(txn, [...(this.runs.get(txn) ?? []), e.run]);
    });
  }

  runsOf(txn: string): MotorRun[] {
    return this.runs.get(txn) ?? [];
  }

  /** Every broken rule, as a sentence; empty when all held. */
  violations(outcomes: ReadonlyMap<string, VendOutcome>): string[] {
    const out: string[] = [];
    for (const [txn, outcome] of outcomes) {
      const runs = this.runsOf(txn);
      if (runs.length > 1) out.push(`${txn}: the motor ran ${runs.length} times`);
      if (outcome.kind === 'delivered' && !(runs.length === 1 && runs[0]?.result === 'dispensed')) {
        out.push(`${txn}: delivered, but the board's runs were [${runs.map((r) => r.result).join(', ')}]`);
      }
      if (outcome.kind === 'not_delivered' && runs.length > 0) {
        out.push(`${txn}: not_delivered (${outcome.reason}) after a motor run (${runs[0]?.result})`);
      }
    }
    for (const run of this.orphanRuns) out.push(`a motor ran (lane ${run.lane}) for no vend`);
    return out;
  }
}

export interface RigOptions {
  readonly transport: Transport;
  readonly lanes?: SimLaneConfig[];
  readonly dropSensor?: boolean;
  readonly lift?: boolean;
  readonly faults?: SimFault[];
  readonly timing?: Partial<FafbTiming>;
  readonly pollIntervalMs?: number;
  readonly motorMs?: number;
  readonly reportDispensing?: boolean;
  readonly announceRestart?: boolean;
  readonly log?: (line: string) => void;
}

export interface Rig {
  driver: FafbDispenser;
  readonly sim: VmcSim;
  readonly cable: Cable;
  readonly truth: GroundTruth;
  events: DispenserEvent[];
  /** A new driver on the same board and cable (the agent process restarted); the old one is closed. */
  restartDriver(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRig(opts: RigOptions): Promise<Rig> {
  const line = await cable(opts.transport);
  const sim = startVmcSim({
    stream: line.board,
    lanes: opts.lanes ?? [
      { lane: 1, stock: 3 },
      { lane: 2, stock: 0 },
      { lane: 3, stock: 2, dropSensor: false },
    ],
    pollIntervalMs: opts.pollIntervalMs ?? 20,
    motorMs: opts.motorMs ?? 40,
    reportDispensing: opts.reportDispensing ?? true,
    lift: opts.lift ?? false,
    faults: opts.faults ?? [],
    ...(opts.announceRestart !== undefined && { announceRestart: opts.announceRestart }),
  });
  const truth = new GroundTruth();
  truth.watch(sim);
  const newDriver = (): FafbDispenser =>
    createFafbDispenser({
      openPort: () => line.openHost(),
      dropSensor: opts.dropSensor ?? true,
      lift: opts.lift ?? false,
      timing: { ...FAST, ...opts.timing },
      log: (l) => {
        truth.driverLog(l);
        opts.log?.(l);
      },
    });
  const rig: Rig = {
    driver: newDriver(),
    sim,
    cable: line,
    truth,
    events: [],
    async restartDriver() {
      await rig.driver.close();
      rig.driver = newDriver();
      rig.driver.onEvent((e) => rig.events.push(e));
      await untilLinkUp(rig.driver);
    },
    async stop() {
      await rig.driver.close();
      await sim.close();
      await line.close();
    },
  };
  rig.driver.onEvent((e) => rig.events.push(e));
  await untilLinkUp(rig.driver);
  return rig;
}

export function untilLinkUp(driver: FafbDispenser): Promise<void> {
  if (driver.linkState === 'up') return Promise.resolve();
  return new Promise((resolve) => {
    const off = driver.onEvent((e) => {
      if (e.type === 'link' && e.state === 'up') {
        off();
        resolve();
      }
    });
  });
}

/** Resolves at the simulator's next event of this type (that matches). */
export function nextSimEvent<T extends VmcSimEvent['type']>(
  sim: VmcSim,
  type: T,
  match: (e: Extract<VmcSimEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<VmcSimEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = sim.onEvent((e) => {
      if (e.type === type && match(e as Extract<typeof e, { type: T }>)) {
        off();
        resolve(e as Extract<typeof e, { type: T }>);
      }
    });
  });
}

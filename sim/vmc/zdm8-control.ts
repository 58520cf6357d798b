// The ZDM8 simulator's control port (127.0.0.1 only), as `vmc-sim --protocol zdm8` serves it: its motor runs,
// its result register as it stands (read without resetting it), faults, the release of a held motor and a
// board restart.
import { faultList, runsFrom, startControlServer, type VmcControlServer } from './control-server.ts';
import { SimFaultError } from './faults.ts';
import type { Zdm8Fault, Zdm8Sim } from './zdm8-sim.ts';

const LANE_FAULTS = ['jam', 'no_drop', 'motor_missing', 'reboot_mid_vend'] as const;

function int(o: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new SimFaultError(`${key} must be an integer ${min}..${max}`);
  return v;
}

function bool(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new SimFaultError(`${key} must be true or false`);
  return v;
}

/** One fault of the control API's JSON, e.g. {"kind":"jam","lane":11} or {"kind":"hold_motor"}. */
export function parseZdm8Fault(value: unknown): Zdm8Fault {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SimFaultError('a fault is a JSON object with a "kind"');
  const o = value as Record<string, unknown>;
  const lane = int(o, 'lane', 0, 99);
  const times = int(o, 'times', 1, 1000);
  const kind = o['kind'];
  const laneKind = LANE_FAULTS.find((k) => k === kind);
  if (laneKind) return { kind: laneKind, ...(lane !== undefined && { lane }), ...(times && { times }) };
  switch (kind) {
    case 'hold_motor':
      return { kind, ...(lane !== undefined && { lane }) };
    case 'drop_echo':
    case 'corrupt_crc':
      return { kind, ...(times && { times }) };
    case 'silence':
      return { kind, ms: int(o, 'ms', 0, 600_000) ?? 0 };
    case 'drop_sensor_blocked':
      return { kind, blocked: bool(o, 'blocked') };
    case 'door_open':
      return { kind, open: bool(o, 'open') };
    default:
      throw new SimFaultError(`unknown ZDM8 fault ${JSON.stringify(kind)}`);
  }
}

export function startZdm8ControlServer(sim: Zdm8Sim, port = 0): Promise<VmcControlServer> {
  return startControlServer(
    {
      get: {
        '/sim/motor-runs': (query) => runsFrom(sim.motorRuns(), query),
        '/sim/register': () => sim.register(),
        '/sim/stats': () => sim.stats(),
      },
      post: {
        '/sim/release-motor': () => ({ released: sim.releaseMotor() }),
        '/sim/reboot': () => (sim.reboot(), { ok: true }),
        '/sim/faults': (body) => {
          const list = faultList(body).map(parseZdm8Fault);
          sim.setFault(list);
          return { ok: true, applied: list.length };
        },
      },
    },
    port,
  );
}

// vmc-sim: a simulated 0xFA 0xFB vending board on a serial device (a socat PTY in tests and demos),
// with a loopback HTTP control port to read its motor runs and inject faults. `--protocol zdm8` runs a ZDM8
// Modbus RTU drive board instead (the kiosk is the master).
import { parseArgs } from 'node:util';
import { openSerialPort } from '../app/dispenser/serial-port.ts';
import {
  parseFaultSpec,
  startVmcControlServer,
  startVmcSim,
  startZdm8ControlServer,
  startZdm8Sim,
} from '../sim/vmc/index.ts';
import type { SimFault, SimLaneConfig, VmcControlServer } from '../sim/vmc/index.ts';

const HELP = `vmc-sim — simulated VMC board (0xFA 0xFB protocol, board is the master; or ZDM8 Modbus RTU)

Usage: vmc-sim --device /dev/pts/N [options]

  --device PATH        serial device to speak on (required), e.g. one end of a socat PTY pair
  --protocol NAME      fafb (default) or zdm8 (Modbus RTU slave, address 1; lanes 0-99; takes --baud,
                       --lanes, --stock, --motor-ms, --record, --control-port, --verbose)
  --baud N             baud rate (default 57600; zdm8: 9600)
  --lanes LIST         lanes, e.g. 1-12 or 1-10,21-30 (default 1-12)
  --stock N            initial stock per lane (default 5)
  --capacity N         capacity per lane (default 10)
  --no-drop-sensor     lanes have no drop sensor (a success then only means "the motor turned")
  --lift               the machine has an elevator
  --poll-ms N          POLL interval in ms, 5..2000 (default 200; a real board: 100..2000, set by 0x16;
                       shorter is a time scale for long runs)
  --motor-ms N         how long a motor turns before the result (default 300)
  --record FILE        append every motor run to FILE as a JSON line
  --control-port N     HTTP control port on 127.0.0.1 (default 0 = any free port)
  --fault SPEC         start with a fault; repeatable. SPEC: jam:LANE[:TIMES], motor_not_stop:LANE,
                       motor_missing:LANE, no_drop:LANE, elevator_error:LANE,
                       reboot_mid_vend:LANE[:TIMES[:DOWN_MS[:AT]]] (AT before_ack, after_ack, motor,
                       before_result), late_selection_status[:STATUS], repeat_old_status[:N],
                       door_open, corrupt_xor:N, drop_ack:N, lose_host_ack:N, duplicate_packno:N,
                       slow_replies:MS, silence:MS, random:RATE[:SEED]
  --verbose            log protocol events to stderr
  --help               this text

Control API (127.0.0.1 only):
  GET  /sim/motor-runs   JSON array of {lane, at, result, dropSeen, hostPackNo}
  GET  /sim/lanes        JSON array of lane states
  GET  /sim/stats        link statistics (polls, late answers, POLL answer latency p50/p99/max, ...)
  POST /sim/faults       JSON fault or array of faults, e.g. {"kind":"jam","lane":3}; {"kind":"clear"}
  POST /sim/stats/reset  zero the statistics
  POST /sim/fully-loaded the technician presses "fully loaded"
  zdm8: GET /sim/motor-runs, GET /sim/stats, GET /sim/register (0x0003 as it stands, not reset:
        {state, fault, turningLane}), POST /sim/release-motor, POST /sim/reboot (the board
        restarts: a turning motor stops, the register is idle), POST /sim/faults with
        {"kind":"jam"|"no_drop"|"motor_missing"|"reboot_mid_vend","lane":N,"times":N},
        {"kind":"hold_motor","lane":N} (the motor turns until /sim/release-motor), drop_echo, corrupt_crc,
        silence {"ms":N}, drop_sensor_blocked {"blocked":B}, door_open {"open":B}

Prints {"ready":true,"controlUrl":"http://127.0.0.1:PORT"} once the device is open.`;

class UsageError extends Error {}

function intArg(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer ${min}..${max}`);
  return n;
}

function parseLanes(spec: string, first = 1, last = 0xffff): number[] {
  const lanes = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`bad --lanes part ${JSON.stringify(part)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < first || to > last || to < from || to - from > 1000)
      throw new UsageError(`bad --lanes range ${part}`);
    for (let l = from; l <= to; l++) lanes.add(l);
  }
  return [...lanes];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      device: { type: 'string' },
      protocol: { type: 'string' },
      baud: { type: 'string' },
      lanes: { type: 'string' },
      stock: { type: 'string' },
      capacity: { type: 'string' },
      'no-drop-sensor': { type: 'boolean' },
      lift: { type: 'boolean' },
      'poll-ms': { type: 'string' },
      'motor-ms': { type: 'string' },
      record: { type: 'string' },
      'control-port': { type: 'string' },
      fault: { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!values.device) throw new UsageError('--device is required (see --help)');
  const protocol = values.protocol ?? 'fafb';
  if (protocol !== 'fafb' && protocol !== 'zdm8') throw new UsageError('--protocol must be fafb or zdm8');
  if (protocol === 'zdm8') {
    const fafbOnly = ['capacity', 'no-drop-sensor', 'lift', 'poll-ms', 'fault'] as const;
    const given = fafbOnly.filter((k) => values[k] !== undefined);
    if (given.length) throw new UsageError(`--${given.join(', --')}: not for --protocol zdm8 (see --help)`);
  }
  const baud = intArg(values.baud, 'baud', protocol === 'zdm8' ? 9600 : 57600, 1200, 4_000_000);
  const stock = intArg(values.stock, 'stock', 5, 0, 255);
  const capacity = intArg(values.capacity, 'capacity', Math.max(10, stock), 0, 255);
  const pollIntervalMs = intArg(values['poll-ms'], 'poll-ms', 200, 5, 2000);
  const motorMs = intArg(values['motor-ms'], 'motor-ms', 300, 0, 600_000);
  const controlPort = intArg(values['control-port'], 'control-port', 0, 0, 65535);
  const dropSensor = !values['no-drop-sensor'];
  const laneNumbers =
    protocol === 'zdm8' ? parseLanes(values.lanes ?? '1-12', 0, 99) : parseLanes(values.lanes ?? '1-12');
  const lanes: SimLaneConfig[] = laneNumbers.map((lane) => ({ lane, stock, capacity, dropSensor }));
  let faults: SimFault[];
  try {
    faults = (values.fault ?? []).map(parseFaultSpec);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const log = values.verbose ? (line: string) => process.stderr.write(line + '\n') : undefined;

  const port = await openSerialPort(values.device, baud);
  const record = { ...(values.record !== undefined && { recordFile: values.record }), ...(log && { log }) };
  let sim: { close(): Promise<void> };
  let control: VmcControlServer;
  if (protocol === 'zdm8') {
    const board = startZdm8Sim({ stream: port, lanes, motorMs, ...record });
    [sim, control] = [board, await startZdm8ControlServer(board, controlPort)];
  } else {
    const board = startVmcSim({
      stream: port,
      lanes,
      pollIntervalMs,
      motorMs,
      lift: values.lift ?? false,
      faults,
      ...record,
    });
    [sim, control] = [board, await startVmcControlServer(board, controlPort)];
  }
  console.log(JSON.stringify({ ready: true, controlUrl: control.url }));

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await sim.close();
      await control.close();
      await new Promise<void>((resolve) =>
        port.destroyed ? resolve() : port.once('close', () => resolve()).destroy(),
      );
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || (err instanceof Error && err.name === 'SerialOpenError')) {
    process.stderr.write(`vmc-sim: ${err.message}\n`);
    process.exit(2);
  }
  const code = (err as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    process.stderr.write(`vmc-sim: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`vmc-sim: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

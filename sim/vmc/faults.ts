// Faults the simulated board can be told to show, scripted (one-shot or counted) or random.

/** Vend outcomes a lane can be made to produce. `times` defaults to 1; no `lane` = whichever lane vends next. */
export type LaneFaultKind =
  'jam' | 'motor_not_stop' | 'motor_missing' | 'no_drop' | 'elevator_error' | 'reboot_mid_vend';

/**
 * Where in a vend a reboot_mid_vend fault cuts the power. before_ack: the board acts on the command (the
 * motor starts) and dies before its ACK leaves. after_ack: ACKed, the motor never starts. motor (default):
 * mid-turn. before_result: the run finished, its final 0x04 never leaves.
 */
export type RebootPoint = 'before_ack' | 'after_ack' | 'motor' | 'before_result';
const REBOOT_POINTS = new Set<string>(['before_ack', 'after_ack', 'motor', 'before_result']);

export type SimFault =
  | {
      readonly kind: LaneFaultKind;
      readonly lane?: number;
      readonly times?: number;
      /** reboot_mid_vend: how long the board stays off (default 2000 ms). */
      readonly downMs?: number;
      /** reboot_mid_vend: where in the vend (default motor). */
      readonly at?: RebootPoint;
    }
  /** The board answers the next lane check (0x01) late: only when the next vend command arrives. */
  | { readonly kind: 'late_selection_status'; readonly status?: number }
  /** Just before it ACKs each of the next `times` vends, the board re-sends its previous final 0x04. */
  | { readonly kind: 'repeat_old_status'; readonly times?: number }
  /**
   * The next motor started (on `lane`, or any) keeps turning until `releaseMotor()` (POST
   * /sim/release-motor): a long lift or a slow spiral, for tests that must restart the agent mid-vend.
   */
  | { readonly kind: 'hold_motor'; readonly lane?: number }
  /** The delivery door reads open in machine and lift status. */
  | { readonly kind: 'door_open'; readonly open: boolean }
  /** The next `times` frames the board sends carry a wrong XOR. */
  | { readonly kind: 'corrupt_xor'; readonly times?: number }
  /** The board does not send its ACK for the next `times` host commands (it still acts on them). */
  | { readonly kind: 'drop_ack'; readonly times?: number }
  /** The board ignores the host's ACK of its next `times` data packets, so it retransmits them. */
  | { readonly kind: 'lose_host_ack'; readonly times?: number }
  /** The next `times` data packets are sent twice with the same PackNO. */
  | { readonly kind: 'duplicate_packno'; readonly times?: number }
  /** Every frame the board sends is delayed by `delayMs` for the next `times` frames (default: until cleared). */
  | { readonly kind: 'slow_replies'; readonly delayMs: number; readonly times?: number }
  /** The board says nothing (and hears nothing) for `ms`. */
  | { readonly kind: 'silence'; readonly ms: number }
  /** Each frame/ACK independently suffers corrupt_xor / drop_ack / lose_host_ack with probability `rate`. */
  | { readonly kind: 'random'; readonly rate: number; readonly seed?: number }
  | { readonly kind: 'clear' };

export class SimFaultError extends Error {
  override readonly name = 'SimFaultError';
}

const LANE_KINDS = new Set<string>([
  'jam',
  'motor_not_stop',
  'motor_missing',
  'no_drop',
  'elevator_error',
  'reboot_mid_vend',
]);

function num(value: unknown, what: string, min: number, max: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new SimFaultError(`${what} must be a number ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

const optInt = (o: Record<string, unknown>, key: string, min: number, max: number): number | undefined =>
  o[key] === undefined ? undefined : Math.floor(num(o[key], key, min, max));

/** Validates a fault coming from JSON (POST /sim/faults); throws SimFaultError with a clear message. */
export function parseFault(input: unknown): SimFault {
  if (typeof input !== 'object' || input === null) throw new SimFaultError('a fault must be a JSON object');
  const o = input as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== 'string') throw new SimFaultError('fault.kind is required');
  if (LANE_KINDS.has(kind)) {
    const lane = optInt(o, 'lane', 1, 0xffff);
    const times = optInt(o, 'times', 1, 1_000_000);
    const downMs = optInt(o, 'downMs', 0, 600_000);
    if (o.at !== undefined && (typeof o.at !== 'string' || !REBOOT_POINTS.has(o.at))) {
      throw new SimFaultError(
        `at must be one of ${[...REBOOT_POINTS].join(', ')}, got ${JSON.stringify(o.at)}`,
      );
    }
    const at = o.at as RebootPoint | undefined;
    return {
      kind: kind as LaneFaultKind,
      ...(lane !== undefined && { lane }),
      ...(times !== undefined && { times }),
      ...(downMs !== undefined && { downMs }),
      ...(at !== undefined && { at }),
    };
  }
  switch (kind) {
    case 'late_selection_status': {
      const status = optInt(o, 'status', 0, 255);
      return { kind, ...(status !== undefined && { status }) };
    }
    case 'repeat_old_status': {
      const times = optInt(o, 'times', 1, 1_000_000);
      return { kind, ...(times !== undefined && { times }) };
    }
    case 'hold_motor': {
      const lane = optInt(o, 'lane', 1, 0xffff);
      return { kind, ...(lane !== undefined && { lane }) };
    }
    case 'door_open':
      if (typeof o.open !== 'boolean') throw new SimFaultError('door_open needs open: true|false');
      return { kind, open: o.open };
    case 'corrupt_xor':
    case 'drop_ack':
    case 'lose_host_ack':
    case 'duplicate_packno': {
      const times = optInt(o, 'times', 1, 1_000_000);
      return { kind, ...(times !== undefined && { times }) };
    }
    case 'slow_replies': {
      const times = optInt(o, 'times', 1, 1_000_000);
      return {
        kind,
        delayMs: Math.floor(num(o.delayMs, 'delayMs', 0, 60_000)),
        ...(times !== undefined && { times }),
      };
    }
    case 'silence':
      return { kind, ms: Math.floor(num(o.ms, 'ms', 0, 600_000)) };
    case 'random': {
      const seed = optInt(o, 'seed', 0, 2 ** 31);
      return { kind, rate: num(o.rate, 'rate', 0, 1), ...(seed !== undefined && { seed }) };
    }
    case 'clear':
      return { kind };
    default:
      throw new SimFaultError(`unknown fault kind ${JSON.stringify(kind)}`);
  }
}

/**
 * Command-line shorthand: `jam:3` (lane 3), `jam:3:2` (lane 3, twice), `no_drop`, `door_open`,
 * `corrupt_xor:4` (4 frames), `drop_ack:1`, `slow_replies:150`, `silence:3000`, `random:0.05[:seed]`,
 * `reboot_mid_vend:LANE:TIMES:DOWN_MS:AT` (AT before_ack | after_ack | motor | before_result),
 * `late_selection_status[:STATUS]`, `repeat_old_status[:TIMES]`, `hold_motor[:LANE]`.
 */
export function parseFaultSpec(spec: string): SimFault {
  const [kind = '', a, b, c, d] = spec.split(':');
  if (kind === 'reboot_mid_vend') return parseFault({ kind, lane: a, times: b, downMs: c, at: d });
  if (LANE_KINDS.has(kind)) return parseFault({ kind, lane: a, times: b });
  switch (kind) {
    case 'late_selection_status':
      return parseFault({ kind, status: a });
    case 'repeat_old_status':
      return parseFault({ kind, times: a });
    case 'door_open':
      return { kind, open: a !== 'false' };
    case 'hold_motor':
      return parseFault({ kind, lane: a });
    case 'corrupt_xor':
    case 'drop_ack':
    case 'lose_host_ack':
    case 'duplicate_packno':
      return parseFault({ kind, times: a });
    case 'slow_replies':
      return parseFault({ kind, delayMs: a, times: b });
    case 'silence':
      return parseFault({ kind, ms: a });
    case 'random':
      return parseFault({ kind, rate: a, seed: b });
    default:
      throw new SimFaultError(`unknown fault ${JSON.stringify(spec)}`);
  }
}

/** Small seeded PRNG (mulberry32) so random fault runs can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

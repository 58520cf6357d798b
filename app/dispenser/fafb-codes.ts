// Meaning of the status bytes of the 0xFA 0xFB protocol, and what each one means for a sale.
// The rule (shared/DESIGN.md invariants): `not_delivered` only where the motor cannot have run; wherever the
// motor may have turned, `unverified`. docs/dispenser.md shows the same table for technicians.
import type { LaneState, MachineStatus, VendOutcome } from './dispenser.ts';

const code = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** What one 0x04 code means for the vend in progress. */
export type DispensePolicy = 'in_progress' | 'delivered' | 'not_delivered' | 'unverified';

/** Where a row's meaning comes from. */
export type PolicySource =
  | 'document' // the vendor's "VMC - Upper Computer Communication Protocol" (shared/protocols/vmc-fafb.md)
  | 'peers' // public host implementations (mohamed-29/try-2 vmc_driver.py, laoapps/vending-server vendingVMC.ts)
  | 'assumption'; // ours, where the document is silent: always the conservative reading

export interface DispenseStatusRow {
  readonly name: string;
  readonly policy: DispensePolicy;
  readonly source: PolicySource;
  /** Why this policy, in one line (docs/dispenser.md repeats it). */
  readonly why: string;
}

/**
 * The one table of 0x04 dispensing status codes. A code not listed is `unverified` (the motor may have run).
 * Microwave codes (0x14–0x32) are listed only where we know their name; the rest fall to the default.
 */
export const DISPENSE_STATUS: ReadonlyMap<number, DispenseStatusRow> = new Map<number, DispenseStatusRow>([
  [0x01, { name: 'dispensing', policy: 'in_progress', source: 'document', why: 'the motor has started' }],
  [
    0x02,
    {
      name: 'dispensed successfully',
      policy: 'delivered',
      source: 'document',
      why: 'the board says so; with the drop sensor off it only means the motor turned',
    },
  ],
  [
    0x03,
    {
      name: 'selection jammed',
      policy: 'unverified',
      source: 'document',
      why: 'a jam is found by turning the motor; the document has no "no drop" code, so boards report a missed drop as 03',
    },
  ],
  [
    0x04,
    {
      name: "motor doesn't stop normally",
      policy: 'unverified',
      source: 'document',
      why: 'the motor ran (it did not stop at its home position)',
    },
  ],
  [
    0x06,
    {
      name: "motor doesn't exist",
      policy: 'not_delivered',
      source: 'document',
      why: 'there is no motor on that lane to run',
    },
  ],
  [
    0x07,
    {
      name: 'elevator error',
      policy: 'unverified',
      source: 'assumption',
      why: 'the lane motor may have pushed the item onto the elevator before it failed',
    },
  ],
  [0x10, { name: 'elevator ascending', policy: 'in_progress', source: 'document', why: 'still working' }],
  [0x11, { name: 'elevator descending', policy: 'in_progress', source: 'document', why: 'still working' }],
  [
    0x12,
    {
      name: 'elevator ascending error',
      policy: 'unverified',
      source: 'assumption',
      why: 'the item may already be on the elevator',
    },
  ],
  [
    0x13,
    {
      name: 'elevator descending error',
      policy: 'unverified',
      source: 'assumption',
      why: 'the item may already be on the elevator',
    },
  ],
  [
    0x21,
    {
      name: 'microwave: no lunch box',
      policy: 'unverified',
      source: 'document',
      why: 'a final answer (the box did not arrive), but the lane motor had run to send it',
    },
  ],
  [
    0x24,
    {
      name: 'microwave: taken out',
      policy: 'delivered',
      source: 'assumption',
      why: 'kept from the first driver: the microwave unit reports the box handed out',
    },
  ],
  [
    0xff,
    {
      name: 'purchase terminated',
      policy: 'unverified',
      source: 'document',
      why: 'the document does not say the motor did not turn; boards report a missed drop as FF',
    },
  ],
]);

/** Microwave heating / moving stages: still working (the result timeout ends them as unverified). */
const MICROWAVE_IN_PROGRESS = new Set([0x14, 0x16, 0x18, 0x19, 0x22, 0x23, 0x26]);

/**
 * A board model's own reading of the codes, where its vendor's manual says more than the document.
 * `notDelivered` lists codes the manual says are sent only when no motor turned; nothing else may be
 * relaxed (a profile can never turn a code into `delivered`).
 */
export interface FafbBoardProfile {
  readonly model: string;
  readonly notDelivered: readonly number[];
}

/** The default: the document alone, read conservatively. */
export const GENERIC_BOARD_PROFILE: FafbBoardProfile = { model: 'generic', notDelivered: [] };

function rowOf(status: number, profile: FafbBoardProfile): DispenseStatusRow {
  const known = DISPENSE_STATUS.get(status);
  if (profile.notDelivered.includes(status) && known?.policy !== 'delivered') {
    return {
      name: known?.name ?? `status ${code(status)}`,
      policy: 'not_delivered',
      source: 'assumption',
      why: `board model ${profile.model}: its manual says no motor turned`,
    };
  }
  if (known) return known;
  if (MICROWAVE_IN_PROGRESS.has(status)) {
    return { name: `microwave stage ${code(status)}`, policy: 'in_progress', source: 'assumption', why: '' };
  }
  return { name: `status ${code(status)}`, policy: 'unverified', source: 'assumption', why: 'unknown code' };
}

/** What a 0x04 status means for the vend in progress: keep waiting, or the final outcome. */
export function dispenseStatusOutcome(
  status: number,
  dropSensor: boolean,
  profile: FafbBoardProfile = GENERIC_BOARD_PROFILE,
): VendOutcome | 'in_progress' {
  const row = rowOf(status, profile);
  const reason = `${row.name} (${code(status)})`;
  switch (row.policy) {
    case 'in_progress':
      return 'in_progress';
    case 'delivered':
      return { kind: 'delivered', dropConfirmed: dropSensor };
    case 'not_delivered':
      return { kind: 'not_delivered', reason, code: status };
    default:
      return { kind: 'unverified', reason: `${reason}: the motor may have run`, code: status };
  }
}

/** Human name of a 0x04 status, for logs. */
export function dispenseStatusName(status: number): string {
  return rowOf(status, GENERIC_BOARD_PROFILE).name;
}

const SELECTION_STATUS: ReadonlyMap<number, readonly [LaneState, string]> = new Map([
  [0x01, ['ok', 'normal']],
  [0x02, ['empty', 'out of stock']],
  [0x03, ['missing', "selection doesn't exist"]],
  [0x04, ['paused', 'selection paused']],
  [0x05, ['fault', 'product inside elevator']],
  [0x06, ['fault', 'delivery door unlocked']],
  [0x07, ['fault', 'elevator error']],
  [0x08, ['fault', 'elevator self-check fault']],
  [0x16, ['fault', 'staypole return error']],
  [0x17, ['fault', 'main motor fault']],
  [0x18, ['fault', 'translation motor fault']],
  [0x19, ['fault', 'staypole push error']],
] as const);

/** 0x02 selection status → lane state and a technician-readable detail. */
export function selectionStatus(status: number): { state: LaneState; detail: string } {
  const known = SELECTION_STATUS.get(status);
  if (known) return { state: known[0], detail: `${known[1]} (${code(status)})` };
  return { state: 'fault', detail: `selection status ${code(status)}` };
}

/** 0x54 lift status → MachineStatus.lift. */
export function liftStatus(status: number): { lift: MachineStatus['lift']; detail: string } {
  switch (status) {
    case 0x00:
      return { lift: 'ok', detail: 'lift normal' };
    case 0x01:
      return { lift: 'product_in_elevator', detail: 'product in elevator (0x01)' };
    case 0x02:
      return { lift: 'door_open', detail: 'delivery door not closed (0x02)' };
    case 0x03:
      return { lift: 'error', detail: 'elevator error (0x03)' };
    case 0x04:
      return { lift: 'error', detail: 'elevator self-check error (0x04)' };
    default:
      return { lift: 'error', detail: `lift status ${code(status)}` };
  }
}
/**
 * 0x52 machine status text (after PackNO): bill, coin, card reader, temperature controller, door (1 byte
 * each), bill change (4), coin change (4), machine id (10), temperature (8), humidity (8).
 * The document does not define the temperature encoding; we read its first byte as signed °C (what our
 * simulator sends) and report null when the byte is 0x80 or the field is missing.
 */
export function parseMachineStatus(text: Buffer): {
  doorOpen: boolean | null;
  temperatureC: number | null;
  machineId: string;
} {
  const door = text[4];
  const doorOpen = door === undefined ? null : door !== 0;
  const temperatureByte = text[23];
  const temperatureC =
    temperatureByte === undefined || temperatureByte === 0x80 ? null : (temperatureByte << 24) >> 24;
  const machineId = text.length >= 23 ? text.subarray(13, 23).toString('latin1').replace(/\0+$/, '') : '';
  return { doorOpen, temperatureC, machineId };
}

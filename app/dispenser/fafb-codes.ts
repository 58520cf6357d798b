// Meaning of the status bytes of the 0xFA 0xFB protocol, and what each one means for a sale.
import type { LaneState, MachineStatus, VendOutcome } from './dispenser.ts';

const code = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** 0x04 dispensing status codes that mean "still working": keep waiting for the final one. */
const IN_PROGRESS = new Set([0x01, 0x10, 0x11, 0x14, 0x16, 0x18, 0x19, 0x21, 0x22, 0x23, 0x26]);

/** 0x04 codes after which nothing came out (the board says so): safe to refund. */
const NOT_DELIVERED: ReadonlyMap<number, string> = new Map([
  [0x03, 'selection jammed'],
  [0x04, "motor doesn't stop normally"],
  [0x06, "motor doesn't exist"],
  [0x07, 'elevator error'],
  [0x12, 'elevator ascending error'],
  [0x13, 'elevator descending error'],
  [0xff, 'purchase terminated'],
]);

/** What a 0x04 status means for the vend in progress: keep waiting, or the final outcome. */
export function dispenseStatusOutcome(status: number, dropSensor: boolean): VendOutcome | 'in_progress' {
  if (IN_PROGRESS.has(status)) return 'in_progress';
  if (status === 0x02 || status === 0x24) return { kind: 'delivered', dropConfirmed: dropSensor };
  const reason = NOT_DELIVERED.get(status);
  if (reason !== undefined)
    return { kind: 'not_delivered', reason: `${reason} (${code(status)})`, code: status };
  // Codes outside the published table (0x05 is what our simulator and some boards send for "motor cycled,
  // no drop seen"): the motor may have run, so the goods may have come out. Never call that a success,
  // never call it a clean failure.
  if (status === 0x05) {
    return { kind: 'unverified', reason: `motor ran but no drop was seen (${code(status)})`, code: status };
  }
  return { kind: 'unverified', reason: `unknown dispensing status ${code(status)}`, code: status };
}

/** Human name of a 0x04 status, for logs. */
export function dispenseStatusName(status: number): string {
  if (status === 0x01) return 'dispensing';
  if (status === 0x02) return 'dispensed successfully';
  return NOT_DELIVERED.get(status) ?? `status ${code(status)}`;
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

// Status queries and the technician's commands of the 0xFA 0xFB protocol, as small functions over one
// context: lane status (0x01/0x02), machine and lift status (0x51/0x52, 0x53/0x54), stock, capacity and
// POLL interval (0x13, 0x14, 0x16), and lane info (0x31 sync → 0x11).
import type { Lane, LaneStatus, LinkState, MachineStatus } from './dispenser.ts';
import { liftStatus, parseMachineStatus, selectionStatus } from './fafb-codes.ts';
import { FafbCmd } from './fafb-frame.ts';
import type { FafbRequests } from './fafb-requests.ts';

export interface MaintenanceContext {
  readonly requests: FafbRequests;
  readonly statusTimeoutMs: number;
  readonly lift: boolean;
  readonly link: () => LinkState;
  /** Lanes whose last vend ended with the board's "jammed": they read `jammed` until cleared. */
  readonly jammedLanes: Map<Lane, string>;
  /**
   * Lanes the board last called normal (0x02 status 01), with performance.now() of that answer. A vend may
   * use such an answer instead of asking again (see `takeFreshCheck`); anything that can change what the
   * board would say clears it.
   */
  readonly normalLanes: Map<Lane, number>;
  /** Lane checks on their way: a second check of the same lane waits for the first one's answer. */
  readonly checksInFlight: Map<Lane, Promise<Buffer | null>>;
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

export class FafbDispenserError extends Error {
  override readonly name = 'FafbDispenserError';
}

export const sel = (lane: number): [number, number] => [(lane >> 8) & 0xff, lane & 0xff];
export const selectionOf = (text: Buffer, offset: number): number =>
  ((text[offset] ?? 0) << 8) | (text[offset + 1] ?? 0);

export function checkLane(lane: Lane, allowAll = false): void {
  const min = allowAll ? 0 : 1;
  if (!Number.isInteger(lane) || lane < min || lane > 0xffff) {
    throw new FafbDispenserError(`lane must be an integer ${min}..65535, got ${String(lane)}`);
  }
}

function checkByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 255)
    throw new FafbDispenserError(`${what} must be 0..255, got ${value}`);
}

/** 0x01 → the board's 0x02 text for `lane`, or null. */
export function checkSelection(ctx: MaintenanceContext, lane: Lane): Promise<Buffer | null> {
  // A vend right after the check made while its customer paid: the same question, one answer (a second
  // 0x01 would also take the POLL slot the vend command needs).
  const pending = ctx.checksInFlight.get(lane);
  if (pending) return pending;
  ctx.normalLanes.delete(lane);
  const check = ctx.requests
    .request(FafbCmd.CHECK_SELECTION, sel(lane), `check lane ${lane}`, {
      cmd: FafbCmd.SELECTION_STATUS,
      match: (t) => selectionOf(t, 1) === lane,
      timeoutMs: ctx.statusTimeoutMs,
    })
    .then((reply) => {
      if (ctx.checksInFlight.get(lane) !== check) return reply; // the board changed meanwhile
      ctx.checksInFlight.delete(lane);
      if (reply?.[0] === 0x01) ctx.normalLanes.set(lane, performance.now());
      return reply;
    });
  ctx.checksInFlight.set(lane, check);
  return check;
}

/**
 * The board's "normal" for `lane` if it was given less than `freshMs` ago and nothing has happened since that
 * could change it (the driver clears them on a vend, a board restart, a lost link, stock or capacity changes,
 * "fully loaded"). Used once: the vend that takes it skips its own lane check, which costs two POLL intervals
 * of the customer's wait (the 0x02 comes in the board's next slot, the 0x06 in the one after).
 */
export function takeFreshCheck(ctx: MaintenanceContext, lane: Lane, freshMs: number): Buffer | null {
  const at = ctx.normalLanes.get(lane);
  ctx.normalLanes.delete(lane);
  if (at === undefined || performance.now() - at > freshMs) return null;
  return Buffer.from([0x01, ...sel(lane)]);
}

export async function laneStatus(ctx: MaintenanceContext, lane: Lane): Promise<LaneStatus> {
  checkLane(lane);
  const reply = await checkSelection(ctx, lane);
  if (!reply) return { lane, state: 'unknown', detail: `no answer from the board (link ${ctx.link()})` };
  const s = selectionStatus(reply[0] ?? 0);
  const jam = ctx.jammedLanes.get(lane);
  if (s.state === 'ok' && jam) return { lane, state: 'jammed', detail: `last vend failed: ${jam}` };
  return { lane, state: s.state, detail: s.detail };
}

export async function machineStatus(ctx: MaintenanceContext): Promise<MachineStatus> {
  const any = { match: () => true, timeoutMs: ctx.statusTimeoutMs };
  const reply = await ctx.requests.request(FafbCmd.MACHINE_STATUS_REQUEST, [], 'machine status', {
    cmd: FafbCmd.MACHINE_STATUS,
    ...any,
  });
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
    details.push(`no machine status from the board (link ${ctx.link()})`);
  }
  let lift: MachineStatus['lift'] = 'absent';
  if (ctx.lift) {
    const liftReply = await ctx.requests.request(FafbCmd.LIFT_STATUS_REQUEST, [], 'lift status', {
      cmd: FafbCmd.LIFT_STATUS,
      ...any,
    });
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

export function setStock(ctx: MaintenanceContext, lane: Lane, stock: number): Promise<boolean> {
  checkLane(lane, true);
  checkByte(stock, 'stock');
  if (lane === 0) ctx.jammedLanes.clear();
  else ctx.jammedLanes.delete(lane);
  ctx.normalLanes.clear();
  return ctx.requests.sendAndConfirm(
    FafbCmd.SET_STOCK,
    [...sel(lane), stock],
    `set stock lane ${lane} = ${stock}`,
  );
}

export function setCapacity(ctx: MaintenanceContext, lane: Lane, capacity: number): Promise<boolean> {
  checkLane(lane, true);
  checkByte(capacity, 'capacity');
  ctx.normalLanes.clear();
  return ctx.requests.sendAndConfirm(
    FafbCmd.SET_CAPACITY,
    [...sel(lane), capacity],
    `set capacity lane ${lane} = ${capacity}`,
  );
}

/** 0x16's range in the document: 100 ms – 2 s, in units of 100 ms. */
export function checkPollInterval(ms: number): void {
  if (!Number.isInteger(ms) || ms < 100 || ms > 2000 || ms % 100 !== 0)
    throw new FafbDispenserError(`poll interval must be 100..2000 ms in steps of 100, got ${ms}`);
}

export function setPollInterval(ctx: MaintenanceContext, ms: number): Promise<boolean> {
  checkPollInterval(ms);
  return ctx.requests.sendAndConfirm(FafbCmd.SET_POLL_INTERVAL, [ms / 100], `set poll interval ${ms} ms`);
}

export async function readLaneInfo(ctx: MaintenanceContext, lane: Lane): Promise<LaneInfo | null> {
  checkLane(lane);
  const reply = await ctx.requests.request(FafbCmd.INFO_SYNC, [], 'information sync', {
    cmd: FafbCmd.SELECTION_INFO,
    match: (t) => selectionOf(t, 0) === lane,
    // The board answers a sync with one 0x11 per lane, one per POLL slot.
    timeoutMs: ctx.statusTimeoutMs * 4,
  });
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

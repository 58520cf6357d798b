// Technician entry: five quick taps on the top-left corner open a PIN pad. The agent side (channels to check
// the PIN and run the maintenance screen) does not exist yet: `requestMaintenanceUnlock` is the one place
// to wire it.
import type { RpcClient } from './rpc-client.ts';

export const CORNER_TAPS_REQUIRED = 5;
export const CORNER_TAP_WINDOW_MS = 3_000;
export const MIN_PIN_LENGTH = 4;
export const MAX_PIN_LENGTH = 8;
/** An open PIN pad nobody touches closes itself, so customers never find it left open. */
export const PIN_PAD_IDLE_MS = 30_000;

/** Counts taps; `tap()` is true on the tap that completes `required` taps within `windowMs`. */
export function createTapCounter(required = CORNER_TAPS_REQUIRED, windowMs = CORNER_TAP_WINDOW_MS) {
  let taps: number[] = [];
  return {
    tap(now: number): boolean {
      taps = [...taps.filter((t) => now - t < windowMs), now];
      if (taps.length < required) return false;
      taps = [];
      return true;
    },
  };
}

export type MaintenanceUnlockResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'wrong_pin' | 'locked_out' | 'not_available' };

/**
 * Asks the agent to check a technician PIN.
 * NOT WIRED YET: the contract has no maintenance channel. When it exists (e.g. `maintenance.unlock`
 * `{ pin }` → `{ ok, reason? }`), call it here through `client.invoke`. The PIN must never be logged.
 */
export async function requestMaintenanceUnlock(
  _client: RpcClient,
  _pin: string,
): Promise<MaintenanceUnlockResult> {
  return { ok: false, reason: 'not_available' };
}

// Technician entry: five quick taps on the top-left corner open a PIN pad; `requestMaintenanceUnlock` trades
// the PIN for a maintenance session token through the contract's `maintenance.unlock` channel.
import type { RpcClient } from './rpc-client.ts';
import { toRpcCallError } from './transport.ts';

export const CORNER_TAPS_REQUIRED = 5;
export const CORNER_TAP_WINDOW_MS = 3_000;
/** The contract accepts 4–12 digit PINs (`maintenance.unlock`). */
export const MIN_PIN_LENGTH = 4;
export const MAX_PIN_LENGTH = 12;
/** An open PIN pad nobody touches closes itself, so customers never find it left open. */
export const PIN_PAD_IDLE_MS = 30_000;
/** An open maintenance screen nobody touches locks itself (the agent ends its session after 5 min too). */
export const MAINTENANCE_IDLE_MS = 300_000;

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
    reset(): void {
      taps = [];
    },
  };
}

export type MaintenanceUnlockResult =
  | { readonly ok: true; readonly token: string; readonly expiresAt: number }
  | {
      readonly ok: false;
      readonly reason: 'wrong_pin' | 'locked_out' | 'not_available' | 'failed';
      /** Locked out: when PINs are accepted again (epoch ms, the agent's clock). */
      readonly retryAt: number | null;
    };

/**
 * Asks the agent to check a technician PIN. A wrong PIN and a lockout are answers; `unavailable` means no PIN
 * is configured (or the link is down). The PIN is never logged; the token is returned to the caller, kept in
 * memory only.
 */
export async function requestMaintenanceUnlock(
  client: RpcClient,
  pin: string,
): Promise<MaintenanceUnlockResult> {
  try {
    const answer = await client.invoke('maintenance.unlock', { pin });
    if (answer.unlocked) return { ok: true, token: answer.token, expiresAt: answer.expiresAt };
    return { ok: false, reason: answer.reason, retryAt: answer.retryAt };
  } catch (reason) {
    const error = toRpcCallError(reason);
    if (error.code === 'unavailable') return { ok: false, reason: 'not_available', retryAt: null };
    return { ok: false, reason: 'failed', retryAt: null };
  }
}

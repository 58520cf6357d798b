// Reconnect delays for the agent websocket (gRPC connection-backoff shape, shortened for a loopback peer):
// grow by 1.6× from 250 ms up to 2 s, each spread ±20 % so that a restarted agent is not hit in lockstep.
// The cap is short because the peer is on loopback (a try costs nothing) and an unattended screen must be
// back within seconds of an agent restart.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
  readonly jitter: number;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 250, multiplier: 1.6, maxMs: 2000, jitter: 0.2 };

/** Delay before reconnect attempt number `attempt` (0-based). `random` is injectable for tests. */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy = RECONNECT_BACKOFF,
  random = Math.random,
): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.max(0, attempt));
  const spread = base * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

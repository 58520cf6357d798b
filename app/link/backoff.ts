// Reconnect delays after gRPC's connection-backoff: 1 s × 1.6 per failure up to a cap, ±20 % jitter so a
// fleet that lost its relay at the same instant does not reconnect in lockstep.
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 1000,
  multiplier: 1.6,
  maxMs: 30_000,
  jitter: 0.2,
};

export function backoffDelay(
  failures: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.max(0, failures - 1));
  const spread = base * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

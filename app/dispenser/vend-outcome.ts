// How a vend outcome reads to a technician, the same in the sale log, the maintenance screen and telemetry.
import type { VendOutcome } from './dispenser.ts';

export function vendOutcomeDetail(outcome: VendOutcome): string {
  if (outcome.kind === 'delivered')
    return outcome.dropConfirmed ? 'drop confirmed' : 'motor ran (no drop sensor)';
  return outcome.reason;
}

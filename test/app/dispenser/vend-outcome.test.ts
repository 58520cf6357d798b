// The one line a technician reads for a vend outcome (sale log, maintenance screen, telemetry).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vendOutcomeDetail } from '../../../app/dispenser/vend-outcome.ts';

test('a delivery says whether the drop was seen; a failure gives the board’s reason', () => {
  assert.equal(vendOutcomeDetail({ kind: 'delivered', dropConfirmed: true }), 'drop confirmed');
  assert.equal(vendOutcomeDetail({ kind: 'delivered', dropConfirmed: false }), 'motor ran (no drop sensor)');
  assert.equal(
    vendOutcomeDetail({
      kind: 'unverified',
      reason: 'selection jammed (0x03): the motor may have run',
      code: 3,
    }),
    'selection jammed (0x03): the motor may have run',
  );
  assert.equal(
    vendOutcomeDetail({ kind: 'not_delivered', reason: 'no answer from the board' }),
    'no answer from the board',
  );
});

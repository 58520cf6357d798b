// The 0x04 code table: one row per code with its source, and the money rule it encodes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DISPENSE_STATUS, dispenseStatusOutcome } from '../../../app/dispenser/fafb-codes.ts';

describe('FAFB dispensing status policy', () => {
  it('not_delivered only where no motor can have run: 06 "motor doesn\'t exist" and nothing else', () => {
    const refundable = [...DISPENSE_STATUS]
      .filter(([, row]) => row.policy === 'not_delivered')
      .map(([c]) => c);
    assert.deepEqual(refundable, [0x06]);
    for (let status = 0; status <= 0xff; status++) {
      const o = dispenseStatusOutcome(status, true);
      if (o !== 'in_progress' && o.kind === 'not_delivered') assert.equal(status, 0x06);
    }
  });

  it('codes after which the motor ran (03 jam, 04, FF, elevator errors) are final and unverified', () => {
    for (const status of [0x03, 0x04, 0x07, 0x12, 0x13, 0xff, 0x05, 0x99]) {
      const o = dispenseStatusOutcome(status, true);
      assert.ok(o !== 'in_progress' && o.kind === 'unverified', `0x${status.toString(16)}`);
      assert.equal(o.code, status);
    }
  });

  it('0x21 (microwave: no lunch box) is a final answer, not "still working"', () => {
    const o = dispenseStatusOutcome(0x21, true);
    assert.ok(o !== 'in_progress' && o.kind === 'unverified');
  });

  it('only 02 (and the microwave hand-out 24) is delivered; dropConfirmed follows the drop-sensor option', () => {
    assert.deepEqual(dispenseStatusOutcome(0x02, true), { kind: 'delivered', dropConfirmed: true });
    assert.deepEqual(dispenseStatusOutcome(0x02, false), { kind: 'delivered', dropConfirmed: false });
    assert.equal(dispenseStatusOutcome(0x01, true), 'in_progress');
  });

  it('every row names its source and, when it is not plain progress, why', () => {
    for (const [c, row] of DISPENSE_STATUS) {
      assert.ok(['document', 'peers', 'assumption'].includes(row.source), `0x${c.toString(16)}`);
      if (row.policy !== 'in_progress') assert.ok(row.why.length > 0, `0x${c.toString(16)} has a reason`);
    }
  });

  it('a board profile can mark codes not_delivered, but never turn one into delivered or a success into a refund', () => {
    const profile = { model: 'X-100', notDelivered: [0x03, 0x02] };
    const jam = dispenseStatusOutcome(0x03, true, profile);
    assert.ok(jam !== 'in_progress' && jam.kind === 'not_delivered');
    assert.match(jam.kind === 'not_delivered' ? jam.reason : '', /selection jammed/);
    assert.deepEqual(dispenseStatusOutcome(0x02, true, profile), { kind: 'delivered', dropConfirmed: true });
  });
});

// The 0x04 code table: one row per code with its source, and the money rule it encodes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DISPENSE_STATUS,
  dispenseStatusName,
  dispenseStatusOutcome,
} from '../../../app/dispenser/fafb-codes.ts';

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
      assert.ok(
        ['in_progress', 'delivered', 'not_delivered', 'unverified'].includes(row.policy),
        `0x${c.toString(16)} has a policy`,
      );
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

describe('FAFB dispensing status: what the sale and the technician read', () => {
  const unverified = (reason: string, code: number) => ({
    kind: 'unverified',
    reason: `${reason}: the motor may have run`,
    code,
  });

  it('every final code gives the outcome and the reason shown on the maintenance screen', () => {
    const expected = new Map<number, unknown>([
      [0x01, 'in_progress'],
      [0x02, { kind: 'delivered', dropConfirmed: false }],
      [0x03, unverified('selection jammed (0x03)', 0x03)],
      [0x04, unverified("motor doesn't stop normally (0x04)", 0x04)],
      [0x06, { kind: 'not_delivered', reason: "motor doesn't exist (0x06)", code: 0x06 }],
      [0x07, unverified('elevator error (0x07)', 0x07)],
      [0x10, 'in_progress'],
      [0x11, 'in_progress'],
      [0x12, unverified('elevator ascending error (0x12)', 0x12)],
      [0x13, unverified('elevator descending error (0x13)', 0x13)],
      [0x21, unverified('microwave: no lunch box (0x21)', 0x21)],
      [0x24, { kind: 'delivered', dropConfirmed: false }],
      [0xff, unverified('purchase terminated (0xff)', 0xff)],
    ]);
    assert.deepEqual([...DISPENSE_STATUS.keys()], [...expected.keys()], 'every listed code is checked');
    for (const [status, outcome] of expected) {
      assert.deepEqual(dispenseStatusOutcome(status, false), outcome, `0x${status.toString(16)}`);
    }
  });

  it('the log names each code as the vendor document does', () => {
    const names: Array<[number, string]> = [
      [0x01, 'dispensing'],
      [0x02, 'dispensed successfully'],
      [0x03, 'selection jammed'],
      [0x04, "motor doesn't stop normally"],
      [0x06, "motor doesn't exist"],
      [0x07, 'elevator error'],
      [0x10, 'elevator ascending'],
      [0x11, 'elevator descending'],
      [0x12, 'elevator ascending error'],
      [0x13, 'elevator descending error'],
      [0x21, 'microwave: no lunch box'],
      [0x24, 'microwave: taken out'],
      [0xff, 'purchase terminated'],
      [0x14, 'microwave stage 0x14'],
      [0x99, 'status 0x99'],
    ];
    for (const [status, name] of names) assert.equal(dispenseStatusName(status), name);
  });

  it('microwave heating and moving stages keep the vend waiting; other unlisted codes end it unverified', () => {
    for (const stage of [0x14, 0x16, 0x18, 0x19, 0x22, 0x23, 0x26]) {
      assert.equal(dispenseStatusOutcome(stage, true), 'in_progress', `0x${stage.toString(16)}`);
    }
    assert.deepEqual(dispenseStatusOutcome(0x15, true), unverified('status 0x15 (0x15)', 0x15));
    assert.deepEqual(dispenseStatusOutcome(0x99, true), unverified('status 0x99 (0x99)', 0x99));
  });

  it('a board profile can mark a code the table does not know as not delivered, with the code in the reason', () => {
    const profile = { model: 'X-100', notDelivered: [0x99] };
    assert.deepEqual(dispenseStatusOutcome(0x99, true, profile), {
      kind: 'not_delivered',
      reason: 'status 0x99 (0x99)',
      code: 0x99,
    });
    assert.deepEqual(dispenseStatusOutcome(0x04, true, { model: 'X-100', notDelivered: [0x04] }), {
      kind: 'not_delivered',
      reason: "motor doesn't stop normally (0x04)",
      code: 0x04,
    });
    assert.deepEqual(dispenseStatusOutcome(0x98, true, profile), unverified('status 0x98 (0x98)', 0x98));
  });
});

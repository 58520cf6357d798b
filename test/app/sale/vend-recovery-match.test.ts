// Which late board report may decide an interrupted vend (vend-recovery.ts): same lane, numbered just after the
// PackNO recorded with the intent; a latched result (it names no lane) only for a marked intent with no other
// vend after it; and the evidence watch hands over evidence that came before it was asked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LATCH_CLEAR_MARK,
  type Dispenser,
  type DispenserEvent,
  type LatchedResult,
  type UnclaimedReport,
} from '../../../app/dispenser/dispenser.ts';
import {
  EvidenceWatch,
  latchedMatches,
  MAX_REPORT_DISTANCE,
  reportMatches,
  type InterruptedItem,
} from '../../../app/sale/vend-recovery.ts';

const item = (boardSeq: number | null, lane = 3, alone = true): InterruptedItem => ({
  outTradeNo: 'KT_1',
  position: 1,
  lane,
  boardSeq,
  startedAt: 0,
  alone,
});
const latched: LatchedResult = {
  type: 'latched_result',
  code: 0x0200,
  outcome: { kind: 'delivered', dropConfirmed: true },
};
const report = (boardSeq: number, lane = 3, code = 0x02): UnclaimedReport => ({
  type: 'unclaimed_report',
  lane,
  code,
  boardSeq,
  outcome: code === 0x01 ? 'in_progress' : { kind: 'delivered', dropConfirmed: true },
});

describe('reportMatches', () => {
  test('a report for the lane, numbered after the mark, is evidence', () => {
    assert.equal(reportMatches(item(10), report(11)), true);
    assert.equal(reportMatches(item(10), report(10 + MAX_REPORT_DISTANCE)), true);
  });

  test('the mark itself or earlier is a leftover of an earlier vend', () => {
    assert.equal(reportMatches(item(10), report(10)), false);
    assert.equal(reportMatches(item(10), report(9)), false);
  });

  test('too far after the mark is not this vend (a board that restarted numbers from 1 again)', () => {
    assert.equal(reportMatches(item(10), report(11 + MAX_REPORT_DISTANCE)), false);
    assert.equal(reportMatches(item(200), report(1)), false);
  });

  test('the numbering wraps from 255 to 1', () => {
    assert.equal(reportMatches(item(254), report(255)), true);
    assert.equal(reportMatches(item(254), report(2)), true);
  });

  test('another lane, or an intent without a mark, never matches', () => {
    assert.equal(reportMatches(item(10, 3), report(11, 4)), false);
    assert.equal(reportMatches(item(null), report(11)), false);
  });
});

describe('latchedMatches', () => {
  test('a marked intent with no other vend after it takes the latched result', () => {
    assert.equal(latchedMatches(item(LATCH_CLEAR_MARK.boardSeq)), true);
  });

  test('no mark (the board may have held an unread result, or a vend was queued): not evidence', () => {
    assert.equal(latchedMatches(item(null)), false);
  });

  test("another vend in flight or ended after the intent: the result may be that vend's", () => {
    assert.equal(latchedMatches(item(LATCH_CLEAR_MARK.boardSeq, 3, false)), false);
  });
});

function fakeBoard(): { dispenser: Dispenser; emit: (e: DispenserEvent) => void } {
  const listeners = new Set<(e: DispenserEvent) => void>();
  const dispenser = {
    onEvent: (l: (e: DispenserEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as Dispenser;
  return { dispenser, emit: (e) => listeners.forEach((l) => l(e)) };
}

describe('EvidenceWatch', () => {
  test('a report that arrived before the item was asked for is found at once', async () => {
    const board = fakeBoard();
    const watch = new EvidenceWatch(board.dispenser);
    board.emit(report(12));
    assert.deepEqual(await watch.waitFor(item(10), 60_000), report(12));
    watch.close();
  });

  test('a report arriving while waiting ends the wait; progress reports and other lanes do not', async () => {
    const board = fakeBoard();
    const watch = new EvidenceWatch(board.dispenser);
    const waiting = watch.waitFor(item(10), 60_000);
    board.emit(report(11, 3, 0x01));
    board.emit(report(12, 4));
    board.emit(report(13));
    assert.deepEqual(await waiting, report(13));
    watch.close();
  });

  test('a latched result read before the item was asked for decides it; not an unmarked one', async () => {
    const board = fakeBoard();
    const watch = new EvidenceWatch(board.dispenser);
    board.emit(latched);
    assert.deepEqual(await watch.waitFor(item(LATCH_CLEAR_MARK.boardSeq), 60_000), latched);
    assert.equal(await watch.waitFor(item(LATCH_CLEAR_MARK.boardSeq, 3, false), 1), null);
    watch.close();
  });

  test('nothing matching within the window: null', async () => {
    const board = fakeBoard();
    const watch = new EvidenceWatch(board.dispenser);
    board.emit(report(5));
    assert.equal(await watch.waitFor(item(10), 1), null);
    watch.close();
  });
});

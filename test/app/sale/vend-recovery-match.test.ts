// Which late board report may decide an interrupted vend (vend-recovery.ts): same lane, numbered just after the
// PackNO recorded with the intent; and the evidence watch hands over a report that came before it was asked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Dispenser, DispenserEvent, UnclaimedReport } from '../../../app/dispenser/dispenser.ts';
import {
  EvidenceWatch,
  MAX_REPORT_DISTANCE,
  reportMatches,
  type InterruptedItem,
} from '../../../app/sale/vend-recovery.ts';

const item = (boardSeq: number | null, lane = 3): InterruptedItem => ({
  outTradeNo: 'KT_1',
  position: 1,
  lane,
  boardSeq,
  startedAt: 0,
});
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

  test('nothing matching within the window: null', async () => {
    const board = fakeBoard();
    const watch = new EvidenceWatch(board.dispenser);
    board.emit(report(5));
    assert.equal(await watch.waitFor(item(10), 1), null);
    watch.close();
  });
});

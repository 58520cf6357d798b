// The board's PackNO sequence read alone: retransmissions, and the restarts it reveals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoardSequence } from '../../../app/dispenser/fafb-board-sequence.ts';

const STATUS = 0x04;
const SYNC = 0x31;

describe('BoardSequence', () => {
  it('a repeated PackNO is a retransmission; the next one, or a small skip, is new; 255 wraps to 1', () => {
    const s = new BoardSequence();
    assert.equal(s.accept(STATUS, 7).kind, 'new');
    assert.equal(s.accept(STATUS, 7).kind, 'retransmission');
    assert.equal(s.accept(STATUS, 9).kind, 'new'); // the board gave up one packet
    const w = new BoardSequence();
    w.accept(STATUS, 255);
    assert.equal(w.accept(STATUS, 1).kind, 'new');
  });

  it('a PackNO that goes back is a restart', () => {
    const s = new BoardSequence();
    s.accept(STATUS, 57);
    const v = s.accept(STATUS, 1);
    assert.equal(v.kind, 'restart');
    assert.match(v.kind === 'restart' ? v.reason : '', /went back from 57 to 1/);
  });

  it("a board-sent 0x31 is a restart, even with the board's last PackNO; its own resend is not", () => {
    const s = new BoardSequence();
    assert.equal(s.accept(STATUS, 1).kind, 'new');
    assert.equal(s.accept(SYNC, 1).kind, 'restart');
    assert.equal(s.accept(SYNC, 1).kind, 'retransmission', 'resent because our ACK was lost');
    s.polled(); // the board POLLed: the sync was ACKed; a new one is a new restart
    assert.equal(s.accept(SYNC, 1).kind, 'restart');
  });
});

// The command queue read alone: POLL answers, PackNOs, retransmits, ACK attribution, restarts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FafbCommandQueue } from '../../../app/dispenser/fafb-command-queue.ts';
import type { SendResult } from '../../../app/dispenser/fafb-command-queue.ts';
import { decodeFrames } from '../../../app/dispenser/fafb-frame.ts';

function queue() {
  const wire: Buffer[] = [];
  const q = new FafbCommandQueue({
    maxRetransmits: 5,
    retransmitAfterMs: 0,
    commandSendTimeoutMs: 60_000,
    write: (b) => wire.push(b),
    log: () => {},
    linkUp: () => true,
  });
  const last = () => decodeFrames(wire[wire.length - 1] ?? Buffer.alloc(0))[0];
  return { q, wire, last };
}

describe('FafbCommandQueue', () => {
  it('the first command of a driver is the 0x31 sync, then the queue, each with the next PackNO', () => {
    const { q, last } = queue();
    const results: SendResult[] = [];
    q.requireSync();
    q.submit(0x13, [0, 1, 5], 'set stock', { onSettled: (r) => results.push(r) });
    q.answerPoll(false);
    assert.deepEqual([last()?.cmd, last()?.packNo], [0x31, 1]);
    q.onAck();
    q.answerPoll(false);
    assert.deepEqual([last()?.cmd, last()?.packNo], [0x13, 2]);
    q.onAck();
    assert.deepEqual(results, ['acked']);
    q.answerPoll(false);
    assert.equal(last()?.cmd, 0x42, 'nothing queued: ACK');
  });

  it("a late duplicate ACK is not taken for the next command's, even after an idle POLL", () => {
    const { q, last } = queue();
    const results: string[] = [];
    q.submit(0x13, [0, 1, 5], 'A', { onSettled: (r) => results.push(`A ${r}`) });
    q.answerPoll(false); // A, copy 1
    q.answerPoll(false); // A, copy 2 (the POLL overtook the ACK)
    q.onAck(); // copy 1's ACK settles A
    q.answerPoll(false); // idle
    q.submit(0x14, [0, 1, 9], 'B', { onSettled: (r) => results.push(`B ${r}`) });
    q.answerPoll(false); // B goes out
    assert.equal(last()?.cmd, 0x14);
    q.onAck(); // copy 2's late ACK: not B's
    assert.deepEqual(results, ['A acked']);
    q.onAck(); // B's own
    assert.deepEqual(results, ['A acked', 'B acked']);
  });

  it('a vend in flight is abandoned, never resent, when a restart is suspected or the link breaks', () => {
    const { q, wire, last } = queue();
    const results: SendResult[] = [];
    q.submit(0x06, [1, 0, 0, 1], 'vend', { once: true, onSettled: (r) => results.push(r) });
    q.answerPoll(false);
    const sent = wire.length;
    q.answerPoll(true); // a long silence before this POLL: not resent, its ACK gets one more POLL
    assert.equal(results.length, 0);
    assert.equal(last()?.cmd, 0x42, 'answered with ACK, not the vend');
    q.answerPoll(false); // no ACK came: abandoned, still not resent
    assert.deepEqual(results, ['abandoned']);
    assert.equal(wire.length, sent + 2);
    assert.equal(last()?.cmd, 0x42);
    q.submit(0x06, [1, 0, 0, 1], 'vend 2', { once: true, onSettled: (r) => results.push(r) });
    q.answerPoll(false);
    q.linkBroken('board restarted');
    assert.deepEqual(results, ['abandoned', 'abandoned']);
  });

  it('after a suspicious silence, the ACK that follows in the same burst still settles the vend', () => {
    const { q } = queue();
    const results: SendResult[] = [];
    q.submit(0x06, [1, 0, 0, 1], 'vend', { once: true, onSettled: (r) => results.push(r) });
    q.answerPoll(false);
    q.answerPoll(true);
    q.onAck();
    assert.deepEqual(results, ['acked']);
  });

  it('an unacknowledged command is resent with the same PackNO 5 times, then given up', () => {
    const { q, wire } = queue();
    const results: SendResult[] = [];
    q.submit(0x01, [0, 1], 'check', { onSettled: (r) => results.push(r) });
    for (let i = 0; i < 7; i++) q.answerPoll(false);
    const packNos = wire
      .map((b) => decodeFrames(b)[0])
      .filter((f) => f?.cmd === 0x01)
      .map((f) => f?.packNo);
    assert.deepEqual(packNos, [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(results, ['unacked']);
  });
});

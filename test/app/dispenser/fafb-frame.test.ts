// The 0xFA 0xFB frame codec: byte-exact encoding, decoding whatever way the bytes are sliced, and
// never being fooled by noise.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  ACK_FRAME,
  FafbDecoder,
  FafbFrameParser,
  POLL_FRAME,
  decodeFrames,
  encodeFrame,
  xorOf,
} from '../../../app/dispenser/index.ts';
import type { FafbFrame } from '../../../app/dispenser/index.ts';

const samples: Buffer[] = [
  POLL_FRAME,
  ACK_FRAME,
  encodeFrame(0x06, 7, Buffer.from([1, 0, 0, 12])),
  encodeFrame(0x04, 255, Buffer.from([0x02, 0x00, 0x0c])),
  encodeFrame(0x17, 3),
  // Text full of STX bytes and a text of maximum length.
  encodeFrame(0x52, 9, Buffer.from([0xfa, 0xfb, 0xfa, 0xfb, 0x00, 0xfa])),
  encodeFrame(0x71, 1, Buffer.alloc(254, 0xfa)),
];

const norm = (f: FafbFrame) => ({ cmd: f.cmd, packNo: f.packNo, text: [...f.text] });

describe('FAFB frame codec', () => {
  it('encodes POLL, ACK and a drive-direct command byte for byte as the protocol document shows', () => {
    assert.deepEqual([...POLL_FRAME], [0xfa, 0xfb, 0x41, 0x00, 0x40]);
    assert.deepEqual([...ACK_FRAME], [0xfa, 0xfb, 0x42, 0x00, 0x43]);
    // laoapps builds `fa fb 06 05 <no> 01 00 00 <slot> <xor>`
    const vend = encodeFrame(0x06, 1, Buffer.from([1, 0, 0, 12]));
    assert.deepEqual([...vend.subarray(0, 9)], [0xfa, 0xfb, 0x06, 0x05, 0x01, 0x01, 0x00, 0x00, 0x0c]);
    assert.equal(vend[9], xorOf(vend, 0, 9));
  });

  it('rejects values a frame cannot carry with a typed error', () => {
    assert.throws(() => encodeFrame(0x100), { name: 'FafbEncodeError' });
    assert.throws(() => encodeFrame(0x06, 256), { name: 'FafbEncodeError' });
    assert.throws(() => encodeFrame(0x06, 1, Buffer.alloc(255)), { name: 'FafbEncodeError' });
    assert.throws(() => encodeFrame(0x06, undefined, Buffer.from([1])), { name: 'FafbEncodeError' });
  });

  it('decodes every valid frame identically whatever byte offset the serial read splits it at', () => {
    for (const frame of samples) {
      const whole = decodeFrames(frame).map(norm);
      assert.equal(whole.length, 1);
      for (let cut = 0; cut <= frame.length; cut++) {
        const d = new FafbDecoder();
        const got = [...d.push(frame.subarray(0, cut)), ...d.push(frame.subarray(cut))].map(norm);
        assert.deepEqual(got, whole, `split at ${cut}`);
      }
      // One byte at a time.
      const d = new FafbDecoder();
      const got = [...frame].flatMap((b) => d.push(Buffer.from([b]))).map(norm);
      assert.deepEqual(got, whole);
    }
  });

  it('resynchronises after garbage and after a frame with a bad XOR, losing only the bad frame', () => {
    const bad = Buffer.from(samples[2] as Buffer);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    const stream = Buffer.concat([
      Buffer.from([0x00, 0xfa, 0x13, 0xfb]),
      POLL_FRAME,
      bad,
      samples[3] as Buffer,
      Buffer.from([0xfa]),
    ]);
    const d = new FafbDecoder();
    const frames = d.push(stream);
    assert.deepEqual(
      frames.map((f) => f.cmd),
      [0x41, 0x04],
    );
    assert.equal(d.stats.badXor >= 1, true);
  });

  it('works as a stream transform: pipe chunks in, read frame objects out', async () => {
    const bytes = Buffer.concat(samples);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 3) chunks.push(bytes.subarray(i, i + 3));
    const parser = Readable.from(chunks).pipe(new FafbFrameParser());
    const frames: FafbFrame[] = [];
    for await (const f of parser) frames.push(f as FafbFrame);
    assert.deepEqual(frames.map(norm), samples.flatMap((s) => decodeFrames(s)).map(norm));
  });

  it('random bytes and mutated frames never throw and never yield a frame whose XOR does not check', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    for (let round = 0; round < 300; round++) {
      const parts: Buffer[] = [];
      for (let k = 0; k < 5; k++) {
        const base = Buffer.from(samples[Math.floor(rnd() * samples.length)] as Buffer);
        if (rnd() < 0.5) base[Math.floor(rnd() * base.length)] = Math.floor(rnd() * 256);
        parts.push(base);
        parts.push(
          Buffer.from(
            Array.from({ length: Math.floor(rnd() * 8) }, () =>
              rnd() < 0.3 ? 0xfa : Math.floor(rnd() * 256),
            ),
          ),
        );
      }
      const input = Buffer.concat(parts);
      const d = new FafbDecoder();
      let at = 0;
      while (at < input.length) {
        const n = 1 + Math.floor(rnd() * 16);
        for (const f of d.push(input.subarray(at, at + n))) {
          // Re-encoding a decoded frame must give a frame that decodes to itself (its XOR checked).
          const again = f.packNo === null ? encodeFrame(f.cmd) : encodeFrame(f.cmd, f.packNo, f.text);
          assert.deepEqual(decodeFrames(again).map(norm), [norm(f)]);
          assert.ok(input.includes(again), 'every frame decoded is literally present in the input');
        }
        at += n;
      }
    }
  });
});

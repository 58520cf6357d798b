// The 0xFA 0xFB frame of the VMC ↔ upper computer protocol (shared/protocols/vmc-fafb.md):
//   FA FB | CMD | LEN | PackNO + TEXT (LEN bytes; absent when LEN = 0) | XOR(FA .. last TEXT byte)
// The reader is a stream transform because a serial 'data' event is a slice of bytes, never a frame.
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

export const STX = [0xfa, 0xfb] as const;

/** Command bytes used by the driver. Names follow the protocol document. */
export const FafbCmd = {
  POLL: 0x41,
  ACK: 0x42,
  CHECK_SELECTION: 0x01,
  SELECTION_STATUS: 0x02,
  SELECT_TO_BUY: 0x03,
  DISPENSE_STATUS: 0x04,
  SELECT_OR_CANCEL: 0x05,
  DRIVE_DIRECT: 0x06,
  SELECTION_INFO: 0x11,
  SET_PRICE: 0x12,
  SET_STOCK: 0x13,
  SET_CAPACITY: 0x14,
  SET_PRODUCT_ID: 0x15,
  SET_POLL_INTERVAL: 0x16,
  FULLY_LOADED: 0x17,
  MONEY_COLLECTED: 0x21,
  INFO_SYNC: 0x31,
  MACHINE_STATUS_REQUEST: 0x51,
  MACHINE_STATUS: 0x52,
  LIFT_STATUS_REQUEST: 0x53,
  LIFT_STATUS: 0x54,
} as const;

/** One decoded frame. `packNo` is null for LEN-0 frames (POLL, ACK). */
export interface FafbFrame {
  readonly cmd: number;
  readonly packNo: number | null;
  readonly text: Buffer;
}

/** Largest TEXT a frame can carry: LEN is one byte and counts the PackNO too. */
export const MAX_TEXT = 254;

export class FafbEncodeError extends Error {
  override readonly name = 'FafbEncodeError';
}

/** XOR of buf[start..end). */
export function xorOf(buf: Uint8Array, start: number, end: number): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= buf[i] ?? 0;
  return x;
}

/**
 * Encodes one frame. Without `packNo` the frame has LEN 0 (POLL/ACK shape) and `text` must be empty.
 * Throws FafbEncodeError on values a frame cannot carry (a programming error, never a board fault).
 */
export function encodeFrame(cmd: number, packNo?: number, text: Uint8Array = Buffer.alloc(0)): Buffer {
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0xff) throw new FafbEncodeError(`cmd out of range: ${cmd}`);
  if (packNo === undefined) {
    if (text.length !== 0) throw new FafbEncodeError('a frame with text needs a PackNO');
    const out = Buffer.from([STX[0], STX[1], cmd, 0, 0]);
    out[4] = xorOf(out, 0, 4);
    return out;
  }
  if (!Number.isInteger(packNo) || packNo < 0 || packNo > 0xff) {
    throw new FafbEncodeError(`PackNO out of range: ${packNo}`);
  }
  if (text.length > MAX_TEXT) throw new FafbEncodeError(`text too long: ${text.length} > ${MAX_TEXT}`);
  const len = 1 + text.length;
  const out = Buffer.alloc(4 + len + 1);
  out[0] = STX[0];
  out[1] = STX[1];
  out[2] = cmd;
  out[3] = len;
  out[4] = packNo;
  Buffer.from(text.buffer, text.byteOffset, text.length).copy(out, 5);
  out[out.length - 1] = xorOf(out, 0, out.length - 1);
  return out;
}

export const POLL_FRAME: Buffer = encodeFrame(FafbCmd.POLL);
export const ACK_FRAME: Buffer = encodeFrame(FafbCmd.ACK);

/** Why bytes were thrown away; counted so a noisy line shows up in diagnostics. */
export type FafbRejectReason = 'garbage' | 'bad_xor';

export interface FafbParserStats {
  frames: number;
  garbageBytes: number;
  badXor: number;
}

/**
 * Incremental decoder: feed it arbitrary slices, get whole frames back. Resynchronises on FA FB; a frame
 * whose XOR does not match is dropped by skipping its first byte only, so a real frame hidden behind a
 * false start is still found.
 */
export class FafbDecoder {
  private buf: Buffer = Buffer.alloc(0);
  readonly stats: FafbParserStats = { frames: 0, garbageBytes: 0, badXor: 0 };

  constructor(private readonly onReject?: (reason: FafbRejectReason, bytes: Buffer) => void) {}

  push(chunk: Uint8Array): FafbFrame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const frames: FafbFrame[] = [];
    for (;;) {
      const start = this.findStx();
      if (start > 0) this.discard(start, 'garbage');
      if (this.buf.length < 4) break;
      const len = this.buf[3] ?? 0;
      const total = 4 + len + 1;
      if (this.buf.length < total) break;
      const want = this.buf[total - 1];
      if (xorOf(this.buf, 0, total - 1) !== want) {
        this.stats.badXor++;
        this.discard(1, 'bad_xor');
        continue;
      }
      const cmd = this.buf[2] ?? 0;
      const packNo = len === 0 ? null : (this.buf[4] ?? 0);
      const text = len <= 1 ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(5, 4 + len));
      frames.push({ cmd, packNo, text });
      this.stats.frames++;
      this.buf = this.buf.subarray(total);
    }
    return frames;
  }

  /** Index of the first FA FB (or of a trailing lone FA that may start one); buf.length if none. */
  private findStx(): number {
    const b = this.buf;
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== STX[0]) continue;
      if (i + 1 >= b.length || b[i + 1] === STX[1]) return i;
    }
    return b.length;
  }

  private discard(n: number, reason: FafbRejectReason): void {
    const dropped = this.buf.subarray(0, n);
    if (reason === 'garbage') this.stats.garbageBytes += n;
    this.onReject?.(reason, Buffer.from(dropped));
    this.buf = this.buf.subarray(n);
  }
}

/** Decodes a whole byte sequence at once (tests, tools). */
export function decodeFrames(bytes: Uint8Array): FafbFrame[] {
  return new FafbDecoder().push(bytes);
}

/**
 * node-serialport parser style: `port.pipe(new FafbFrameParser())` and read FafbFrame objects from 'data'.
 */
export class FafbFrameParser extends Transform {
  private readonly decoder: FafbDecoder;

  constructor(onReject?: (reason: FafbRejectReason, bytes: Buffer) => void) {
    super({ readableObjectMode: true });
    this.decoder = new FafbDecoder(onReject);
  }

  get stats(): FafbParserStats {
    return this.decoder.stats;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (const frame of this.decoder.push(chunk)) this.push(frame);
    cb();
  }
}

/** Hex dump for logs: "FA FB 41 00 40". */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

// The simulator's own reading and writing of 0xFA 0xFB frames. Deliberately independent of the agent's
// codec (sim/ may not import app/dispenser): two implementations of one document catch each other's bugs.

export interface SimFrame {
  cmd: number;
  /** null for LEN-0 frames (POLL, ACK). */
  packNo: number | null;
  text: Buffer;
}

export const CMD = {
  POLL: 0x41,
  ACK: 0x42,
  CHECK_SELECTION: 0x01,
  SELECTION_STATUS: 0x02,
  SELECT_TO_BUY: 0x03,
  DISPENSE_STATUS: 0x04,
  DRIVE_DIRECT: 0x06,
  SELECTION_INFO: 0x11,
  SET_STOCK: 0x13,
  SET_CAPACITY: 0x14,
  SET_POLL_INTERVAL: 0x16,
  FULLY_LOADED: 0x17,
  INFO_SYNC: 0x31,
  MACHINE_STATUS_REQUEST: 0x51,
  MACHINE_STATUS: 0x52,
  LIFT_STATUS_REQUEST: 0x53,
  LIFT_STATUS: 0x54,
} as const;

export function buildFrame(cmd: number, packNo: number | null, text: readonly number[] = []): Buffer {
  const body = packNo === null ? [] : [packNo, ...text];
  const bytes = [0xfa, 0xfb, cmd, body.length, ...body];
  const xor = bytes.reduce((a, b) => a ^ b, 0);
  return Buffer.from([...bytes, xor]);
}

export const POLL = buildFrame(CMD.POLL, null);
export const ACK = buildFrame(CMD.ACK, null);

/** Byte-at-a-time state machine; bad frames are counted and skipped. */
export class SimFrameReader {
  private pending: number[] = [];
  badFrames = 0;

  feed(chunk: Uint8Array): SimFrame[] {
    const out: SimFrame[] = [];
    for (const byte of chunk) {
      this.pending.push(byte);
      this.scan(out);
    }
    return out;
  }

  private scan(out: SimFrame[]): void {
    for (;;) {
      const p = this.pending;
      // Drop bytes until the buffer starts with FA FB (or a lone FA that may begin one).
      while (p.length > 0 && !(p[0] === 0xfa && (p.length === 1 || p[1] === 0xfb))) p.shift();
      if (p.length < 4) return;
      const len = p[3] ?? 0;
      if (p.length < len + 5) return;
      const frame = p.slice(0, len + 5);
      const xor = frame.slice(0, -1).reduce((a, b) => a ^ b, 0);
      if (xor !== frame[frame.length - 1]) {
        this.badFrames++;
        p.shift();
        continue;
      }
      this.pending = p.slice(len + 5);
      out.push({
        cmd: frame[2] ?? 0,
        packNo: len === 0 ? null : (frame[4] ?? 0),
        text: Buffer.from(frame.slice(5, 4 + len)),
      });
    }
  }
}

// Modbus RTU framing for the ZDM8-family drive boards (research/vending.md §2.3): CRC-16/Modbus, and a
// response reader that knows the length of what it is waiting for (RTU has no start byte, only silences).

/** CRC-16/Modbus (poly 0xA001 reflected, init 0xFFFF); sent low byte first. */
export function crc16Modbus(bytes: Uint8Array, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) {
    crc ^= bytes[i] ?? 0;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function withCrc(body: readonly number[]): Buffer {
  const crc = crc16Modbus(Uint8Array.from(body));
  return Buffer.from([...body, crc & 0xff, crc >>> 8]);
}

export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame, frame.length - 2);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}

/** 0x03 read holding registers. */
export function readRegisters(unit: number, register: number, count: number): Buffer {
  return withCrc([unit, 0x03, register >> 8, register & 0xff, count >> 8, count & 0xff]);
}

/** 0x10 write multiple registers; `data` holds 2 bytes per register. */
export function writeRegisters(unit: number, register: number, data: readonly number[]): Buffer {
  const count = Math.ceil(data.length / 2);
  return withCrc([unit, 0x10, register >> 8, register & 0xff, count >> 8, count & 0xff, count * 2, ...data]);
}

export interface ModbusReply {
  readonly func: number;
  /** Register data for 0x03; empty for a 0x10 echo. */
  readonly data: Buffer;
  /** Set when the slave answered with an exception (func | 0x80). */
  readonly exception: number | null;
}

/**
 * Accumulates bytes and extracts the reply to the request in flight. Bytes before a valid reply (noise, a
 * reply with a bad CRC) are skipped one at a time, so a valid reply behind them is still found.
 */
export class ModbusReplyReader {
  private buf = Buffer.alloc(0);
  badCrc = 0;

  reset(): void {
    this.buf = Buffer.alloc(0);
  }

  push(chunk: Uint8Array, unit: number, func: number): ModbusReply | null {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 5) {
      const len = this.expectedLength(unit, func);
      if (len === 0) {
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (this.buf.length < len) return null;
      const frame = this.buf.subarray(0, len);
      if (!crcOk(frame)) {
        this.badCrc++;
        this.buf = this.buf.subarray(1);
        continue;
      }
      this.buf = this.buf.subarray(len);
      const f = frame[1] ?? 0;
      if (f & 0x80) return { func: f & 0x7f, data: Buffer.alloc(0), exception: frame[2] ?? 0 };
      return {
        func: f,
        data: f === 0x03 ? Buffer.from(frame.subarray(3, len - 2)) : Buffer.alloc(0),
        exception: null,
      };
    }
    return null;
  }

  /** Length of the frame at the head of the buffer if it looks like our reply, 0 if it cannot be one. */
  private expectedLength(unit: number, func: number): number {
    if (this.buf[0] !== unit) return 0;
    const f = this.buf[1];
    if (f === (func | 0x80)) return 5;
    if (f !== func) return 0;
    if (func === 0x03) return 5 + (this.buf[2] ?? 0);
    if (func === 0x10 || func === 0x06) return 8;
    return 0;
  }
}

// A wire tap on the board's serial line: the board (vmc-sim) on one socat PTY pair, the kiosk on another, and
// this process forwarding bytes between them while it decodes what the board says. The board's own
// "0x04 01 dispensing" status — sent when a motor starts — is the motor-start signal the chaos tests aim their
// kills at: ground truth from the board, not from the agent's database.
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { openSerialPort } from '../../app/dispenser/serial-port.ts';
import { FafbCmd, FafbDecoder } from '../../app/dispenser/fafb-frame.ts';
import { onCleanup } from './cleanup.ts';
import { startPtyPair } from './socat-pty.ts';

export interface SerialTap {
  /** Where the board simulator opens its end. */
  readonly boardPath: string;
  /** Where the kiosk agent opens its end. */
  readonly kioskPath: string;
  /** How many motor starts the board has reported so far. */
  motorStarts(): number;
  /** Calls `listener` with the lane each time the board reports a motor starting. */
  onMotorStart(listener: (lane: number) => void): () => void;
  /**
   * Every final 0x04 report (not "01 dispensing") the kiosk acknowledged, in order: the board's result did
   * reach a running agent. A report the board gave up resending while the agent was down is not here.
   */
  acknowledgedReports(): readonly AcknowledgedReport[];
}

export interface AcknowledgedReport {
  readonly lane: number;
  readonly code: number;
  /** The board's PackNO: a resend of the same report (its ACK was late) carries the same one. */
  readonly packNo: number;
}

export async function startSerialTap(dir: string): Promise<SerialTap> {
  const board = await startPtyPair(path.join(dir, 'board'), path.join(dir, 'tap-board'));
  const kiosk = await startPtyPair(path.join(dir, 'tap-kiosk'), path.join(dir, 'kiosk'));
  const toBoard: Duplex = await openSerialPort(board.b);
  const toKiosk: Duplex = await openSerialPort(kiosk.a);
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        toBoard.destroy();
        toKiosk.destroy();
        resolve();
      }),
  );
  const listeners = new Set<(lane: number) => void>();
  let starts = 0;
  const decoder = new FafbDecoder();
  const kioskDecoder = new FafbDecoder();
  const acknowledged: AcknowledgedReport[] = [];
  // The board's last frame, when it was a final 0x04: the kiosk ACKs every data packet at once, and the board
  // sends nothing else until that ACK (or its resend time), so the kiosk's next ACK is this report's.
  let awaitingAck: AcknowledgedReport | null = null;
  // A killed agent leaves its end of the kiosk pair closed; bytes then go nowhere, as on a real cable.
  toBoard.on('error', () => undefined);
  toKiosk.on('error', () => undefined);
  toBoard.on('data', (chunk: Buffer) => {
    toKiosk.write(chunk);
    for (const frame of decoder.push(chunk)) {
      awaitingAck = null;
      // 0x04 dispensing status: text = status, selection (2 bytes, big-endian). 0x01 = the motor is turning.
      if (frame.cmd !== FafbCmd.DISPENSE_STATUS) continue;
      const lane = ((frame.text[1] ?? 0) << 8) | (frame.text[2] ?? 0);
      if (frame.text[0] !== 0x01) {
        awaitingAck = { lane, code: frame.text[0] ?? 0, packNo: frame.packNo ?? 0 };
        continue;
      }
      starts++;
      for (const l of [...listeners]) l(lane);
    }
  });
  toKiosk.on('data', (chunk: Buffer) => {
    toBoard.write(chunk);
    for (const frame of kioskDecoder.push(chunk)) {
      if (frame.cmd !== FafbCmd.ACK || frame.packNo !== null || awaitingAck === null) continue;
      // A slow ACK makes the board resend the report, and the kiosk ACKs the copy too: one report, not two.
      const last = acknowledged.at(-1);
      const copy =
        last !== undefined &&
        last.packNo === awaitingAck.packNo &&
        last.lane === awaitingAck.lane &&
        last.code === awaitingAck.code;
      if (!copy) acknowledged.push(awaitingAck);
      awaitingAck = null;
    }
  });
  return {
    boardPath: board.a,
    kioskPath: kiosk.b,
    motorStarts: () => starts,
    acknowledgedReports: () => [...acknowledged],
    onMotorStart: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

// Opening and listing serial ports. SerialPort.list() spawns `udevadm` on Linux and fails where it is
// missing (research/electron.md §5.1), so listing falls back to reading /dev.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';

export class SerialOpenError extends Error {
  override readonly name = 'SerialOpenError';
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(`cannot open serial port ${path}: ${cause.message}`, { cause });
  }
}

/**
 * SerialPort's stream does not close its file descriptor on destroy(): the binding keeps reading (and on a
 * hung-up PTY spins a CPU at 100 %). Destroying this one closes the device first.
 */
class ClosingSerialPort extends SerialPort {
  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (!this.isOpen) return callback(error);
    this.close(() => callback(error));
  }
}

/**
 * Opens a serial device 8N1. Prefer a stable /dev/serial/by-id/... path over /dev/ttyUSB0.
 * destroy() on the returned stream really closes the device.
 */
export async function openSerialPort(devicePath: string, baudRate = 57600): Promise<Duplex> {
  const port = new ClosingSerialPort({
    path: devicePath,
    baudRate,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => (err ? reject(new SerialOpenError(devicePath, err)) : resolve()));
  });
  return port;
}

export interface SerialPortInfo {
  readonly path: string;
  /** Stable alias under /dev/serial/by-id, when there is one. */
  readonly byId: string | null;
  readonly manufacturer: string | null;
  readonly source: 'udev' | 'dev-scan';
}

const TTY_PATTERN = /^tty(USB|ACM|AMA|S)\d+$/;

/** Lists candidate serial ports; never throws (a listing failure must not stop the kiosk starting). */
export async function listSerialPorts(
  opts: { devDir?: string; useUdev?: boolean } = {},
): Promise<SerialPortInfo[]> {
  const devDir = opts.devDir ?? '/dev';
  if (opts.useUdev !== false) {
    try {
      const ports = await SerialPort.list();
      if (ports.length > 0) {
        const byId = await scanById(devDir);
        return ports.map((p) => ({
          path: p.path,
          byId: byId.get(p.path) ?? null,
          manufacturer: p.manufacturer ?? null,
          source: 'udev' as const,
        }));
      }
    } catch {
      // udevadm missing or failing: fall through to the /dev scan.
    }
  }
  return scanDev(devDir);
}

/** Map of real device path → its /dev/serial/by-id alias. */
async function scanById(devDir: string): Promise<Map<string, string>> {
  const dir = path.join(devDir, 'serial', 'by-id');
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const alias = path.join(dir, name);
    try {
      const target = path.resolve(dir, await fs.readlink(alias));
      out.set(target, alias);
    } catch {
      // not a link: ignore
    }
  }
  return out;
}

async function scanDev(devDir: string): Promise<SerialPortInfo[]> {
  const byId = await scanById(devDir);
  let names: string[] = [];
  try {
    names = await fs.readdir(devDir);
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const result: SerialPortInfo[] = [];
  for (const [target, alias] of byId) {
    seen.add(target);
    result.push({ path: target, byId: alias, manufacturer: null, source: 'dev-scan' });
  }
  for (const name of names.filter((n) => TTY_PATTERN.test(n)).sort()) {
    const full = path.join(devDir, name);
    if (!seen.has(full)) result.push({ path: full, byId: null, manufacturer: null, source: 'dev-scan' });
  }
  return result;
}

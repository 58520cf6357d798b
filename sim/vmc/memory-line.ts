// An in-memory "serial cable" between the simulated board and the agent (demo mode and tests).
// The board end lives as long as the line; the host end can be reopened, like a serial port, and the line
// can be unplugged (bytes stop flowing both ways, opening fails) and plugged back in.
import { Duplex } from 'node:stream';

export interface MemoryLine {
  /** The board's end, for startVmcSim({ stream }). */
  readonly board: Duplex;
  /** Opens the agent's end (the openPort of a driver). A new open replaces the previous end. */
  openHost(): Promise<Duplex>;
  unplug(): void;
  plug(): void;
}

export class LineUnpluggedError extends Error {
  override readonly name = 'LineUnpluggedError';
}

export function createMemoryLine(): MemoryLine {
  let plugged = true;
  let host: Duplex | null = null;

  // Delivery is deferred (setImmediate) as on a real wire, so neither side is re-entered while writing.
  const board = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      const target = host;
      if (plugged && target && !target.destroyed) setImmediate(() => target.push(Buffer.from(chunk)));
      cb();
    },
  });

  return {
    board,
    async openHost() {
      if (!plugged) throw new LineUnpluggedError('memory line is unplugged');
      const end: Duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, cb) {
          if (plugged && host === end && !board.destroyed) setImmediate(() => board.push(Buffer.from(chunk)));
          cb();
        },
      });
      host = end;
      return end;
    },
    unplug() {
      plugged = false;
    },
    plug() {
      plugged = true;
    },
  };
}

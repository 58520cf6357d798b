// Driver ↔ simulated board over a REAL pseudo-terminal pair (socat), through the serialport package.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createFafbDispenser, openSerialPort } from '../../../app/dispenser/index.ts';
import type { DispenserEvent, FafbDispenser } from '../../../app/dispenser/index.ts';
import { startVmcSim } from '../../../sim/vmc/index.ts';
import type { VmcSim } from '../../../sim/vmc/index.ts';
import { startPtyPair } from '../../helpers/socat-pty.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fafb-pty-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function waitFor(driver: FafbDispenser, state: 'up' | 'down'): Promise<DispenserEvent> {
  return new Promise((resolve) => {
    const off = driver.onEvent((e) => {
      if (e.type === 'link' && e.state === state) {
        off();
        resolve(e);
      }
    });
  });
}

async function simOn(device: string, record: string): Promise<{ sim: VmcSim; port: Duplex }> {
  const port = await openSerialPort(device);
  const sim = startVmcSim({
    stream: port,
    lanes: [{ lane: 12, stock: 3 }],
    pollIntervalMs: 50,
    motorMs: 50,
    recordFile: record,
  });
  return { sim, port };
}

async function closeSim(s: { sim: VmcSim; port: Duplex }): Promise<void> {
  await s.sim.close();
  s.port.on('error', () => {});
  await new Promise<void>((resolve) =>
    s.port.destroyed ? resolve() : s.port.once('close', () => resolve()).destroy(),
  );
}

describe('FAFB driver over a socat PTY pair', { timeout: 30_000 }, () => {
  it('one vend = exactly one recorded motor run; unplug is detected and the port reopened on replug', async () => {
    const a = path.join(dir, 'kiosk');
    const b = path.join(dir, 'board');
    const record = path.join(dir, 'runs.jsonl');
    let pty = await startPtyPair(a, b);
    let board = await simOn(b, record);
    const driver = createFafbDispenser({
      openPort: () => openSerialPort(a),
      dropSensor: true,
      // Default link-down detection (1500 ms of POLL silence): the unplug must be noticed within 2 s.
      timing: {
        reopenAfterSilenceMs: 1700,
        reopenBackoffMs: 50,
        reopenBackoffMaxMs: 200,
      },
    });
    try {
      await waitFor(driver, 'up');
      assert.deepEqual(await driver.vend(12, 'PTY-1'), { kind: 'delivered', dropConfirmed: true });
      assert.equal(board.sim.motorRuns().length, 1);
      const lines = readFileSync(record, 'utf8').trim().split('\n');
      assert.equal(lines.length, 1);
      assert.equal(JSON.parse(lines[0] ?? '{}').lane, 12);

      // Unplug: socat dies, the board end goes away. The driver notices from the silence.
      const down = waitFor(driver, 'down');
      await closeSim(board);
      await pty.kill();
      const deadline = new Promise<'missed'>((resolve) => setTimeout(() => resolve('missed'), 2000).unref());
      const lost = await Promise.race([down, deadline]);
      assert.notEqual(lost, 'missed', 'the unplug was not noticed within 2 s');
      assert.ok(lost !== 'missed');
      assert.equal(lost.type === 'link' && lost.state, 'down');

      // Replug with the same link names: the driver reopens the port by itself and the link comes back.
      const up = waitFor(driver, 'up');
      pty = await startPtyPair(a, b);
      board = await simOn(b, record);
      await up;
      assert.deepEqual(await driver.vend(12, 'PTY-2'), { kind: 'delivered', dropConfirmed: true });
      assert.equal(readFileSync(record, 'utf8').trim().split('\n').length, 2);
    } finally {
      await driver.close();
      await closeSim(board);
      await pty.kill();
    }
  });
});

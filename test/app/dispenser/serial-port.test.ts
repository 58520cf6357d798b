// Finding and opening serial ports without udevadm (kiosk images often lack it).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { listSerialPorts, openSerialPort } from '../../../app/dispenser/index.ts';

const dev = mkdtempSync(path.join(os.tmpdir(), 'fake-dev-'));
after(() => rmSync(dev, { recursive: true, force: true }));

describe('serial ports', () => {
  it('lists /dev/serial/by-id aliases and tty{USB,ACM,AMA,S}* devices when udev is not used', async () => {
    for (const name of ['ttyUSB0', 'ttyACM1', 'ttyS0', 'ttyAMA0', 'tty1', 'null'])
      writeFileSync(path.join(dev, name), '');
    mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
    symlinkSync('../../ttyUSB0', path.join(dev, 'serial', 'by-id', 'usb-VMC_Board_1234-if00-port0'));
    const ports = await listSerialPorts({ devDir: dev, useUdev: false });
    assert.deepEqual(
      ports.map((p) => [path.basename(p.path), p.byId ? path.basename(p.byId) : null]),
      [
        ['ttyUSB0', 'usb-VMC_Board_1234-if00-port0'],
        ['ttyACM1', null],
        ['ttyAMA0', null],
        ['ttyS0', null],
      ],
    );
    assert.ok(ports.every((p) => p.source === 'dev-scan'));
  });

  it('never throws, even for a directory that does not exist', async () => {
    assert.deepEqual(await listSerialPorts({ devDir: path.join(dev, 'nope'), useUdev: false }), []);
  });

  it('opening a missing device fails with a typed error naming the path', async () => {
    await assert.rejects(openSerialPort(path.join(dev, 'ttyUSB9')), {
      name: 'SerialOpenError',
      message: /ttyUSB9/,
    });
  });
});

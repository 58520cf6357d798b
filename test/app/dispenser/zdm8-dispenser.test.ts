// The ZDM8 Modbus RTU driver against its simulated board: the same sale-level outcomes as the FAFB driver.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  createZdm8Dispenser,
  crc16Modbus,
  readRegisters,
  writeRegisters,
} from '../../../app/dispenser/index.ts';
import type { Dispenser } from '../../../app/dispenser/index.ts';
import { createMemoryLine, startZdm8Sim } from '../../../sim/vmc/index.ts';
import type { Zdm8Fault, Zdm8Sim } from '../../../sim/vmc/index.ts';

const open: Array<() => Promise<void>> = [];
after(async () => {
  for (const stop of open) await stop();
});

async function rig(
  faults: Zdm8Fault[] = [],
  dropSensor = true,
): Promise<{ driver: Dispenser; sim: Zdm8Sim }> {
  const line = createMemoryLine();
  const sim = startZdm8Sim({
    stream: line.board,
    lanes: [
      { lane: 11, stock: 2 },
      { lane: 12, stock: 0 },
    ],
    motorMs: 60,
    faults,
  });
  const driver = createZdm8Dispenser({
    openPort: () => line.openHost(),
    dropSensor,
    timing: {
      replyTimeoutMs: 60,
      heartbeatMs: 40,
      statusPollMs: 30,
      linkDownAfterMs: 400,
      vendResultTimeoutMs: 2000,
      reopenAfterSilenceMs: 0,
    },
  });
  open.push(async () => {
    await driver.close();
    await sim.close();
  });
  while (driver.linkState !== 'up') await new Promise((r) => setTimeout(r, 10));
  return { driver, sim };
}

describe('Modbus RTU framing', () => {
  it('CRC-16/Modbus matches the standard check value and the echo quoted in the vendor code', () => {
    assert.equal(crc16Modbus(Buffer.from('123456789')), 0x4b37);
    // "01 10 20 01 00 02 <crc>" is the ZDM8 vend echo; its CRC must check.
    const echo = Buffer.from([0x01, 0x10, 0x20, 0x01, 0x00, 0x02]);
    const c = crc16Modbus(echo);
    assert.equal(crc16Modbus(Buffer.concat([echo, Buffer.from([c & 0xff, c >> 8])])), 0);
    assert.deepEqual([...readRegisters(1, 3, 1)].slice(0, 6), [1, 3, 0, 3, 0, 1]);
    assert.deepEqual(
      [...writeRegisters(1, 0x2001, [11, 0, 1, 0])].slice(0, 11),
      [1, 0x10, 0x20, 0x01, 0, 2, 4, 11, 0, 1, 0],
    );
  });
});

describe('ZDM8 driver against the simulated board', { concurrency: true, timeout: 20_000 }, () => {
  it('delivers with the drop confirmed: one motor run, stock decremented', async () => {
    const { driver, sim } = await rig();
    assert.deepEqual(await driver.vend(11, 'Z1'), { kind: 'delivered', dropConfirmed: true });
    assert.equal(sim.motorRuns().length, 1);
    assert.equal(sim.stock(11), 1);
  });

  it('a jam is not delivered, with the fault in the reason', async () => {
    const { driver } = await rig([{ kind: 'jam', lane: 11 }]);
    const o = await driver.vend(11, 'Z2');
    assert.equal(o.kind, 'not_delivered');
    assert.match(o.kind === 'not_delivered' ? o.reason : '', /jammed.*0x01/);
  });

  it('an empty lane turns the motor but drops nothing: unverified, never delivered', async () => {
    const { driver, sim } = await rig();
    const o = await driver.vend(12, 'Z3');
    assert.equal(o.kind, 'unverified');
    assert.equal(sim.motorRuns()[0]?.result, 'no_drop');
  });

  it('a lost echo is resolved from the status register: one motor run, no blind resend', async () => {
    const { driver, sim } = await rig([{ kind: 'drop_echo', times: 1 }]);
    assert.deepEqual(await driver.vend(11, 'Z4'), { kind: 'delivered', dropConfirmed: true });
    assert.equal(sim.motorRuns().length, 1);
    assert.equal(sim.stats().vendWrites, 1);
  });

  it('corrupted replies are rejected by the CRC and the vend still completes once', async () => {
    const { driver, sim } = await rig([{ kind: 'corrupt_crc', times: 3 }]);
    assert.deepEqual(await driver.vend(11, 'Z5'), { kind: 'delivered', dropConfirmed: true });
    assert.equal(sim.motorRuns().length, 1);
  });

  it('a reboot mid-vend ends unverified, never a silent success', async () => {
    const { driver, sim } = await rig([{ kind: 'reboot_mid_vend', lane: 11 }]);
    const o = await driver.vend(11, 'Z6');
    assert.equal(o.kind, 'unverified');
    assert.equal(sim.motorRuns()[0]?.result, 'interrupted');
  });

  it('a silent board gets no vend: not_delivered, no motor run', async () => {
    const { driver, sim } = await rig();
    sim.setFault({ kind: 'silence', ms: 1500 });
    while (driver.linkState === 'up') await new Promise((r) => setTimeout(r, 20));
    const o = await driver.vend(11, 'Z7');
    assert.equal(o.kind, 'not_delivered');
    assert.equal(sim.motorRuns().length, 0);
  });

  it('machine status reads temperature and door; a blocked drop detector shows on the lane', async () => {
    const { driver, sim } = await rig([{ kind: 'door_open', open: true }]);
    const m = await driver.machineStatus();
    assert.equal(m.temperatureC, 4);
    assert.equal(m.doorOpen, true);
    sim.setFault({ kind: 'drop_sensor_blocked', blocked: true });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await driver.laneStatus(11)).state, 'fault');
    await assert.rejects(driver.vend(100, 'bad'), { name: 'Zdm8DispenserError' });
  });
});

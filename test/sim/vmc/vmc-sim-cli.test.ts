// The vmc-sim program on a real PTY: the agent's driver vends through it, the control API reports and
// injects faults, bad input is refused with a clear error, and SIGTERM ends it cleanly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createFafbDispenser, openSerialPort } from '../../../app/dispenser/index.ts';
import type { FafbDispenser } from '../../../app/dispenser/index.ts';
import { startPtyPair } from '../../helpers/socat-pty.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'bin/vmc-sim.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'vmc-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): {
  child: ChildProcess;
  ready: Promise<{ controlUrl: string }>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ controlUrl: string }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as { controlUrl: string });
      } catch {
        reject(new Error(`first line is not JSON: ${line}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`vmc-sim exited ${code}`)));
  });
  ready.catch(() => {});
  return { child, ready, exit };
}

function untilUp(driver: FafbDispenser): Promise<void> {
  return new Promise((resolve) => {
    if (driver.linkState === 'up') return resolve();
    const off = driver.onEvent((e) => {
      if (e.type === 'link' && e.state === 'up') {
        off();
        resolve();
      }
    });
  });
}

describe('vmc-sim CLI', { timeout: 30_000 }, () => {
  it('--help prints usage and exits 0; a missing --device exits 2 with a clear message', async () => {
    const help = run(['--help']);
    let out = '';
    help.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    assert.equal(await help.exit, 0);
    assert.match(out, /--device/);
    const bad = run([]);
    let err = '';
    bad.child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    assert.equal(await bad.exit, 2);
    assert.match(err, /--device is required/);
  });

  it('--protocol: an unknown one, or a 0xFA 0xFB option with zdm8, exits 2 with a clear message', async () => {
    for (const [args, message] of [
      [['--device', '/dev/null', '--protocol', 'rs232'], /--protocol must be fafb or zdm8/],
      [
        ['--device', '/dev/null', '--protocol', 'zdm8', '--fault', 'jam:1'],
        /--fault: not for --protocol zdm8/,
      ],
      [['--device', '/dev/null', '--protocol', 'zdm8', '--lanes', '0-100'], /bad --lanes range 0-100/],
    ] as const) {
      const bad = run([...args]);
      let err = '';
      bad.child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      assert.equal(await bad.exit, 2, err);
      assert.match(err, message);
    }
  });

  it('serves a vend over the PTY, records it, takes faults over HTTP, and stops on SIGTERM', async () => {
    const pty = await startPtyPair(path.join(dir, 'a'), path.join(dir, 'b'));
    const record = path.join(dir, 'runs.jsonl');
    const sim = run([
      '--device',
      pty.b,
      '--lanes',
      '1-4',
      '--stock',
      '2',
      '--poll-ms',
      '50',
      '--motor-ms',
      '50',
      '--record',
      record,
    ]);
    const driver = createFafbDispenser({ openPort: () => openSerialPort(pty.a), dropSensor: true });
    try {
      const { controlUrl } = await sim.ready;
      assert.match(controlUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      await untilUp(driver);
      assert.deepEqual(await driver.vend(3, 'CLI-1'), { kind: 'delivered', dropConfirmed: true });
      const runs = (await (await fetch(`${controlUrl}/sim/motor-runs`)).json()) as Array<{
        lane: number;
        result: string;
      }>;
      assert.deepEqual(
        runs.map((r) => [r.lane, r.result]),
        [[3, 'dispensed']],
      );
      assert.equal(readFileSync(record, 'utf8').trim().split('\n').length, 1);

      const ok = await fetch(`${controlUrl}/sim/faults`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'jam', lane: 3 }),
      });
      assert.equal(ok.status, 200);
      const outcome = await driver.vend(3, 'CLI-2');
      // A jam is found by turning the motor: never a refund on the board's word alone.
      assert.equal(outcome.kind, 'unverified');
      // A long run's caller asks only for the runs after those it has seen.
      const after = (await (await fetch(`${controlUrl}/sim/motor-runs?from=1`)).json()) as Array<{
        lane: number;
      }>;
      assert.deepEqual(
        after.map((r) => r.lane),
        [3],
      );
      assert.equal((await fetch(`${controlUrl}/sim/motor-runs?from=x`)).status, 400);

      const bad = await fetch(`${controlUrl}/sim/faults`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'meteor' }),
      });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /unknown fault kind/);
      const notJson = await fetch(`${controlUrl}/sim/faults`, { method: 'POST', body: '{' });
      assert.equal(notJson.status, 400);
    } finally {
      await driver.close();
      sim.child.kill('SIGTERM');
      assert.equal(await sim.exit, 0);
      await pty.kill();
    }
  });
});

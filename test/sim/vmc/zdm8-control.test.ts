// The ZDM8 simulator's control port: it holds and releases a motor, shows the result register without
// resetting it, restarts the board; and whatever a client sends, it answers 400 or 404 with a clear error and
// keeps serving (a fuzz of random JSON bodies and paths).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  createMemoryLine,
  parseZdm8Fault,
  startZdm8ControlServer,
  startZdm8Sim,
} from '../../../sim/vmc/index.ts';
import { pick as pickWith, seededRandom } from '../../helpers/seeded-random.ts';

const line = createMemoryLine();
const sim = startZdm8Sim({ stream: line.board, lanes: [{ lane: 11, stock: 5 }], motorMs: 30 });
const control = await startZdm8ControlServer(sim);
after(async () => {
  await control.close();
  await sim.close();
});

async function call(method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${control.url}${path}`, { method, ...(body !== undefined && { body }) });
  return { status: res.status, json: await res.json() };
}

describe('parseZdm8Fault', () => {
  it('takes the documented faults and refuses anything else with a reason', () => {
    assert.deepEqual(parseZdm8Fault({ kind: 'jam', lane: 11, times: 2 }), {
      kind: 'jam',
      lane: 11,
      times: 2,
    });
    assert.deepEqual(parseZdm8Fault({ kind: 'hold_motor' }), { kind: 'hold_motor' });
    assert.deepEqual(parseZdm8Fault({ kind: 'silence', ms: 100 }), { kind: 'silence', ms: 100 });
    assert.throws(() => parseZdm8Fault({ kind: 'jam', lane: 100 }), /lane must be an integer 0\.\.99/);
    assert.throws(() => parseZdm8Fault({ kind: 'door_open' }), /open must be true or false/);
    assert.throws(() => parseZdm8Fault({ kind: 'meteor' }), /unknown ZDM8 fault "meteor"/);
    assert.throws(() => parseZdm8Fault([]), /JSON object with a "kind"/);
  });
});

describe('ZDM8 control port', () => {
  it('holds a motor, shows the register without resetting it, releases, restarts the board', async () => {
    assert.deepEqual(await call('POST', '/sim/faults', '{"kind":"hold_motor","lane":11}'), {
      status: 200,
      json: { ok: true, applied: 1 },
    });
    assert.deepEqual((await call('POST', '/sim/release-motor')).json, { released: false });
    assert.deepEqual((await call('GET', '/sim/register')).json, {
      state: 'idle',
      fault: 0,
      turningLane: null,
    });
    assert.deepEqual((await call('POST', '/sim/reboot')).json, { ok: true });
    assert.deepEqual((await call('GET', '/sim/motor-runs')).json, []);
  });

  it('answers every random body and path with 200, 400 or 404 and stays up', async () => {
    const random = seededRandom(10);
    const pick = <T>(xs: readonly T[]): T => pickWith(random, xs);
    const values = [null, 0, -1, 1.5, 1e9, 'x', true, [], {}, { kind: 'jam' }, { kind: 'silence', ms: -4 }];
    const keys = ['kind', 'lane', 'times', 'ms', 'open', 'blocked', '__proto__', 'constructor'];
    const kinds = ['jam', 'hold_motor', 'drop_echo', 'silence', 'door_open', 'toString', ''];
    const paths = [
      '/sim/faults',
      '/sim/register',
      '/sim/nope',
      'constructor',
      '/sim/faults?x=1',
      '/%E0%A4%A',
    ];
    for (let i = 0; i < 300; i++) {
      const o: Record<string, unknown> = { kind: pick(kinds) };
      for (let k = 0; k < 3; k++) o[pick(keys)] = pick(values);
      const body = random() < 0.2 ? '{"kind":' : JSON.stringify(random() < 0.2 ? [o, pick(values)] : o);
      const path = pick(paths);
      const method = pick(['GET', 'POST']);
      const res = await fetch(`${control.url}${path.startsWith('/') ? path : `/${path}`}`, {
        method,
        ...(method === 'POST' && { body }),
      });
      assert.ok([200, 400, 404].includes(res.status), `${method} ${path} ${body}: ${res.status}`);
      const answer = (await res.json()) as { error?: string };
      if (res.status !== 200) assert.ok(answer.error, 'an error says why');
    }
    sim.setFault({ kind: 'silence', ms: 0 });
    assert.equal((await call('GET', '/sim/register')).status, 200);
  });
});

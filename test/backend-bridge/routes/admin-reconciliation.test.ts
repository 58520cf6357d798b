// The reconciliation API of a real relay against a real alipay-sim over loopback: run a day, read its
// differences, compensate "paid, nothing delivered" once (concurrent and repeated requests included), and
// every refused request answered with a clear error.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { lateRefundNo } from '../../../app/alipay/index.ts';
import { startRelay } from '../../../backend-bridge/index.ts';
import type { RunningRelay } from '../../../backend-bridge/index.ts';
import type { AlipaySim, LedgerEntry } from '../../../sim/alipay/index.ts';
import { APP_ID, makeClient, makeKeys, simGet, simPost, startSim } from '../../sim/alipay/fixtures.ts';
import { pick, randomInt, seededRandom } from '../../helpers/seeded-random.ts';
import { tempDir } from '../helpers.ts';

const keys = makeKeys();
const ADMIN = 'admin-token-0123456789abcdef';
const KIOSK = { id: 'K1', token: 'k1-token-0123456789abcdef' };
let sim: AlipaySim;
let relay: RunningRelay;
let day = '';

const expired = 'K1_20261129100000_aaaa';
const completed = 'K1_20261129100100_bbbb';
const unknown = 'K1_20261129100200_cccc';

function admin(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${relay.url}/admin/v1/reconciliation${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) },
  });
}

function refund(date: string, body: unknown, contentType = 'application/json'): Promise<Response> {
  return admin(`/${date}/refund`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function settle(
  outTradeNo: string,
  state: string,
  totalFen: number,
  deliveredFen: number,
): Promise<void> {
  const res = await fetch(`${relay.url}/v1/kiosks/K1/outbox`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KIOSK.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      events: [
        {
          id: `settled-${outTradeNo}`,
          type: 'sale.settled',
          at: new Date().toISOString(),
          data: {
            outTradeNo,
            state,
            totalFen,
            deliveredFen,
            items: [{ priceFen: totalFen, vendState: deliveredFen > 0 ? 'delivered' : 'pending' }],
          },
        },
      ],
    }),
  });
  assert.equal(res.status, 200, await res.text());
}

before(async () => {
  sim = await startSim(keys);
  relay = await startRelay({
    dbPath: path.join(tempDir(), 'relay.db'),
    alipay: { appId: APP_ID, publicKey: keys.alipay.publicKey },
    kiosks: [KIOSK],
    adminToken: ADMIN,
    reconcile: { gatewayUrl: `${sim.url}/gateway.do`, privateKey: keys.app.privateKey, timeoutMs: 5000 },
  });
  const kiosk = makeClient(sim, keys);
  for (const [outTradeNo, fen] of [
    [expired, 650],
    [completed, 350],
    [unknown, 200],
  ] as const) {
    assert.equal((await kiosk.precreate({ outTradeNo, totalFen: fen, subject: 'drink' })).kind, 'success');
    await simPost(sim, '/sim/pay', { outTradeNo });
  }
  const ledger = await simGet<{ payments: LedgerEntry[] }>(sim, '/sim/ledger');
  day = ledger.payments[0]?.at.slice(0, 10) ?? '';
  await settle(expired, 'expired', 650, 0);
  await settle(completed, 'completed', 350, 350);
});

after(async () => {
  await relay?.close();
  await sim?.close();
});

test('without the admin token nothing of reconciliation is reachable', async () => {
  for (const [method, pathname] of [
    ['GET', ''],
    ['GET', `/${day}`],
    ['POST', `/${day}/run`],
    ['POST', `/${day}/refund`],
  ] as const) {
    const res = await fetch(`${relay.url}/admin/v1/reconciliation${pathname}`, { method });
    assert.equal(res.status, 401, `${method} ${pathname}`);
  }
});

test('a day is run, listed and read back with its differences classed', async () => {
  assert.deepEqual(await (await admin('')).json(), { days: [] });
  assert.equal((await admin(`/${day}`)).status, 404);

  const run = await admin(`/${day}/run`, { method: 'POST' });
  assert.equal(run.status, 200);
  const detail = (await run.json()) as {
    date: string;
    status: string;
    differences: Array<Record<string, unknown>>;
    actions: unknown[];
  };
  assert.equal(detail.date, day);
  assert.equal(detail.status, 'differences');
  assert.deepEqual(
    detail.differences.map((d) => [d['outTradeNo'], d['class'], d['kioskId'], d['alipayFen'], d['kioskFen']]),
    [
      [expired, 'paid_not_delivered', 'K1', 650, 0],
      [unknown, 'paid_unknown_to_kiosk', 'K1', 200, null],
    ],
  );
  assert.ok(detail.differences.every((d) => typeof d['detail'] === 'string' && d['detail'] !== ''));
  assert.deepEqual(detail.actions, []);

  const list = (await (await admin('')).json()) as { days: Array<Record<string, unknown>> };
  assert.equal(list.days.length, 1);
  const [summary] = list.days;
  assert.equal(summary?.['date'], day);
  assert.equal(summary?.['status'], 'differences');
  assert.equal(summary?.['differences'], 2);
  assert.deepEqual(summary?.['byClass'], { paid_not_delivered: 1, paid_unknown_to_kiosk: 1 });
  assert.ok(!Number.isNaN(Date.parse(String(summary?.['ranAt']))));

  const metrics = await (await fetch(`${relay.url}/metrics`)).text();
  assert.match(metrics, /^relay_reconciliation_differences\{class="paid_not_delivered"\} 1$/m);
  assert.match(metrics, /^relay_reconciliation_differences\{class="telemetry_missing"\} 0$/m);
  assert.match(metrics, /^relay_reconciliation_runs_total\{status="differences"\} 1$/m);
});

test('the compensation refunds once with the kiosk number, however often and concurrently it is asked', async () => {
  const answers = await Promise.all([
    refund(day, { outTradeNo: expired }),
    refund(day, { outTradeNo: expired }),
  ]);
  for (const res of answers) assert.equal(res.status, 200);
  const again = await refund(day, { outTradeNo: expired });
  assert.equal(again.status, 200);
  const { action } = (await again.json()) as { action: Record<string, unknown> };
  assert.equal(action['result'], 'already_refunded');
  assert.equal(action['outRequestNo'], lateRefundNo(expired));

  const ledger = await simGet<{ refunds: LedgerEntry[] }>(sim, '/sim/ledger');
  assert.deepEqual(
    ledger.refunds.map((r) => [r.outTradeNo, r.fen]),
    [[expired, 650]],
  );
  const detail = (await (await admin(`/${day}`)).json()) as { actions: Array<Record<string, unknown>> };
  assert.deepEqual(
    detail.actions.map((a) => [
      a['outTradeNo'],
      a['outRequestNo'],
      a['refundFen'],
      a['trigger'],
      a['result'],
    ]),
    [
      [expired, lateRefundNo(expired), 650, 'operator', 'refunded'],
      [expired, lateRefundNo(expired), 650, 'operator', 'already_refunded'],
    ],
  );
  const metrics = await (await fetch(`${relay.url}/metrics`)).text();
  assert.match(metrics, /^relay_reconciliation_refunds_total\{result="refunded"\} 1$/m);
});

test('running the day again replaces its differences and keeps the audit', async () => {
  const detail = (await (await admin(`/${day}/run`, { method: 'POST' })).json()) as {
    differences: Array<{ outTradeNo: string; class: string }>;
    actions: unknown[];
  };
  assert.deepEqual(
    detail.differences.map((d) => [d.outTradeNo, d.class]),
    [[unknown, 'paid_unknown_to_kiosk']],
  );
  assert.equal(detail.actions.length, 2);
  const list = (await (await admin('')).json()) as { days: Array<{ differences: number }> };
  assert.deepEqual(
    list.days.map((d) => d.differences),
    [1],
  );
});

test('refusals: a difference for a person, an unknown day, a bad date, a bad body', async () => {
  const forPerson = await refund(day, { outTradeNo: unknown });
  assert.equal(forPerson.status, 409);
  assert.equal(((await forPerson.json()) as { error: string }).error, 'not_refundable');
  assert.equal((await refund(day, { outTradeNo: completed })).status, 409);
  assert.equal((await refund('2020-01-01', { outTradeNo: expired })).status, 404);
  for (const date of ['2026-02-30', 'yesterday', '2026-1-1']) {
    assert.equal((await admin(`/${date}`)).status, 400, date);
    assert.equal((await admin(`/${date}/run`, { method: 'POST' })).status, 400, date);
  }
  for (const body of [
    '',
    'null',
    '[]',
    '{"outTradeNo":5}',
    '{"outTradeNo":"a b"}',
    '{"outTradeNo":"x","y":1}',
  ]) {
    assert.equal((await refund(day, body)).status, 400, body);
  }
  assert.equal((await refund(day, { outTradeNo: expired }, 'text/plain')).status, 415);
  assert.equal((await refund(day, JSON.stringify({ outTradeNo: 'x'.repeat(5000) }))).status, 413);
  const ledger = await simGet<{ refunds: LedgerEntry[] }>(sim, '/sim/ledger');
  assert.equal(ledger.refunds.length, 1, 'no refusal moved money');
});

test('a day whose bill is not there yet is stored as failed, keeping what the last run found', async () => {
  await simPost(sim, '/sim/faults', { billNotReadyNext: 1 });
  const detail = (await (await admin(`/${day}/run`, { method: 'POST' })).json()) as {
    status: string;
    error?: string;
    differences: unknown[];
  };
  assert.equal(detail.status, 'failed');
  assert.match(detail.error ?? '', /^not_ready: /);
  assert.equal(detail.differences.length, 1, 'the differences of the run before stay');
  const list = (await (await admin('')).json()) as { days: Array<{ status: string; error?: string }> };
  assert.equal(list.days[0]?.status, 'failed');
  const metrics = await (await fetch(`${relay.url}/metrics`)).text();
  assert.match(metrics, /^relay_reconciliation_runs_total\{status="failed"\} 1$/m);
});

test('random bodies, dates and methods get a 4xx JSON answer, never a crash or a refund', async () => {
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 100_000);
  const random = seededRandom(seed);
  const pieces = [
    '{',
    '}',
    '"outTradeNo"',
    ':',
    '"',
    expired,
    '\u0000',
    '\uFFFD',
    '[',
    ']',
    ',',
    'null',
    '1e999',
    ' ',
    '\\',
  ];
  for (let i = 0; i < 200; i++) {
    const body = Array.from({ length: randomInt(random, 8) }, () => pick(random, pieces)).join('');
    const date = pick(random, [day, '2026-13-01', '../..', '%00', '2026-02-29', 'x'.repeat(300), day + '/']);
    const target = pick(random, ['refund', 'run', '']);
    const method = pick(random, ['POST', 'GET', 'PUT']);
    const res = await admin(`/${encodeURIComponent(date)}${target ? `/${target}` : ''}`, {
      method,
      headers: { 'content-type': pick(random, ['application/json', 'text/plain', '']) },
      ...(method === 'GET' ? {} : { body }),
    });
    const text = await res.text();
    assert.ok(res.status < 500, `seed ${seed}: ${res.status} ${text}`);
    // A clear answer: JSON from the routes, a one-line text from the relay's own handler (no media type, say).
    if (res.headers.get('content-type')?.startsWith('application/json'))
      assert.doesNotThrow(() => JSON.parse(text), `seed ${seed}: ${text}`);
    else assert.match(text, /^[^\n]+\n$/, `seed ${seed}: ${res.status}`);
  }
  const ledger = await simGet<{ refunds: LedgerEntry[] }>(sim, '/sim/ledger');
  assert.equal(ledger.refunds.length, 1, `seed ${seed}: still the one refund`);
});

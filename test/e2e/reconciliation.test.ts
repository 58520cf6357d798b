// Reconciliation end to end with real processes (agent, notify-relay, alipay-sim, vmc-sim on a PTY pair): a day
// of sales in which one notify is lost while the kiosk cannot query (and its cancel fails, so the payment stays
// paid), one refund the kiosk recorded is refused by Alipay, and one telemetry upload is lost. The relay's
// `reconcile` command finds exactly those three, classed right; the compensation refunds the first once while
// the kiosk, reached by Alipay's late resend, refunds it at the same moment — checked against alipay-sim's ledger.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { lateRefundNo, undeliveredRefundNo } from '../../app/alipay/index.ts';
import { waitFor } from '../helpers/agent-harness.ts';
import { connectKioskRpc, type KioskRpc } from '../helpers/kiosk-rpc.ts';
import { repoRoot } from '../helpers/processes.ts';
import { startStack, STACK_APP_ID, STACK_KIOSK_ID, type Stack } from '../helpers/stack.ts';

type LedgerEntry = { outTradeNo: string; fen: number; at: string; outRequestNo?: string };
type Ledger = { payments: LedgerEntry[]; refunds: LedgerEntry[] };
type Difference = { outTradeNo: string; class: string; kioskId: string | null; alipayFen: number | null };
type DayDetail = {
  date: string;
  status: string;
  differences: Difference[];
  actions: Array<{
    outTradeNo: string;
    outRequestNo: string;
    refundFen: number;
    trigger: string;
    result: string;
  }>;
};

let stack: Stack;
let rpc: KioskRpc;
let relayDb: Database.Database;

before(async () => {
  stack = await startStack({ reconciliation: true });
  rpc = await connectKioskRpc(stack.agentUrl());
  relayDb = new Database(path.join(stack.dir, 'relay.sqlite'));
  relayDb.pragma('busy_timeout = 5000');
  await waitFor(
    async () => (await rpc.invoke<{ dispenserLink: string }>('kiosk.info')).dispenserLink === 'up',
    'the board link',
  );
});

after(() => {
  rpc?.close();
  relayDb?.close();
});

const ledger = () => stack.simJson<Ledger>('/sim/ledger');
const faults = (patch: Record<string, unknown>) => stack.simJson('/sim/faults', patch);
const context = () => `agent:\n${stack.agent.log().slice(-4000)}\nrelay:\n${stack.relay.log().slice(-2000)}`;

/** The kiosk's sale.settled telemetry as the relay stored it (event id `sale:<out_trade_no>:<state>`). */
function settledAtRelay(outTradeNo: string, state: string): boolean {
  return (
    relayDb
      .prepare('SELECT 1 FROM telemetry WHERE kiosk_id = ? AND event_id = ?')
      .get(STACK_KIOSK_ID, `sale:${outTradeNo}:${state}`) !== undefined
  );
}

async function settled(outTradeNo: string, state: string): Promise<void> {
  await waitFor(
    () => settledAtRelay(outTradeNo, state),
    `sale ${outTradeNo} ${state} at the relay`,
    context,
    60_000,
  );
}

async function sell(lane: number): Promise<string> {
  const sale = await rpc.invoke<{ outTradeNo: string }>('sale.checkout', { items: [{ lane, quantity: 1 }] });
  await waitFor(
    async () =>
      (await stack.simJson<Array<{ out_trade_no: string }>>('/sim/trades')).some(
        (t) => t.out_trade_no === sale.outTradeNo,
      ),
    'the trade at Alipay',
    context,
  );
  await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });
  return sale.outTradeNo;
}

function admin<T>(pathname: string, body?: unknown): Promise<{ status: number; json: T }> {
  return fetch(`${stack.relayUrl}/admin/v1/reconciliation${pathname}`, {
    method: pathname.endsWith('/run') || body !== undefined ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${stack.adminToken ?? ''}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).then(async (res) => ({ status: res.status, json: (await res.json()) as T }));
}

/** `notify-relay reconcile --date D` as an operator runs it, on the running relay's database and credentials. */
function reconcileCommand(day: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [
    path.join(repoRoot, 'bin', 'notify-relay.js'),
    'reconcile',
    '--date',
    day,
    '--config',
    path.join(stack.dir, 'relay.json'),
    '--db',
    path.join(stack.dir, 'relay.sqlite'),
    '--app-id',
    STACK_APP_ID,
    '--alipay-public-key',
    stack.alipayKeys.publicKeyFile,
    '--alipay-gateway',
    `${stack.simUrl}/gateway.do`,
    '--alipay-private-key',
    stack.appKeys.privateKeyFile,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('reconciliation finds the lost notify, the refused refund and the lost telemetry, and compensates once', async () => {
  // An ordinary sale: all three sources agree on it.
  const agreed = await sell(1);
  await settled(agreed, 'completed');

  // A sale whose telemetry upload is lost: the relay stored it, then lost it (as a restored backup would).
  const unreported = await sell(2);
  await settled(unreported, 'completed');
  relayDb
    .prepare('DELETE FROM telemetry WHERE kiosk_id = ? AND event_id = ?')
    .run(STACK_KIOSK_ID, `sale:${unreported}:completed`);

  // A vend that fails on the board: the kiosk refunds with _R1, and Alipay refuses that refund.
  const boardFault = await fetch(`${stack.boardControlUrl}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'motor_missing', lane: 3, times: 1 }),
  });
  assert.equal(boardFault.status, 200, await boardFault.text());
  await faults({ refundRefusedNext: 1 });
  const refused = await sell(3);
  await settled(refused, 'refunded');

  // The customer pays, but the notify never arrives, the kiosk cannot query, and its cancel fails: the kiosk
  // ends the order as expired while Alipay holds the money.
  await faults({
    notify: 'never',
    systemErrorNext: 1_000_000,
    methods: ['alipay.trade.query'],
    cancelFailsNext: 1_000_000,
  });
  const lost = await sell(1);
  await waitFor(
    async () => (await ledger()).payments.some((p) => p.outTradeNo === lost),
    'the payment',
    context,
  );
  await rpc.invoke('sale.cancel', { outTradeNo: lost });
  await settled(lost, 'expired');
  await faults({ notify: 'normal' });

  const book = await ledger();
  const paid = new Map(book.payments.map((p) => [p.outTradeNo, p]));
  for (const sale of [agreed, unreported, refused, lost]) assert.ok(paid.has(sale), `${sale} paid at Alipay`);
  assert.deepEqual(book.refunds, [], 'no money went back yet: the one refund was refused');
  // The sales' Beijing-time day(s): a run that straddles midnight in Beijing reconciles both days.
  const days = [
    ...new Set([agreed, unreported, refused, lost].map((s) => paid.get(s)?.at.slice(0, 10) ?? '')),
  ].sort();

  // The operator's command: exit 1 (differences), one line per difference.
  const found: Difference[] = [];
  for (const day of days) {
    const run = await reconcileCommand(day);
    assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^${day}\\t(ok|differences)\\t`));
    const detail = await admin<DayDetail>(`/${day}`);
    assert.equal(detail.status, 200);
    found.push(...detail.json.differences);
    for (const d of detail.json.differences)
      assert.ok(run.stdout.includes(`${d.outTradeNo}\t${d.class}\t`), run.stdout);
  }
  assert.deepEqual(
    found.map((d) => [d.outTradeNo, d.class, d.kioskId]).sort(),
    [
      [lost, 'paid_not_delivered', STACK_KIOSK_ID],
      [refused, 'refund_missing_at_alipay', STACK_KIOSK_ID],
      [unreported, 'telemetry_missing', STACK_KIOSK_ID],
    ].sort(),
  );
  const lostDay = paid.get(lost)?.at.slice(0, 10) ?? '';
  const lostFen = paid.get(lost)?.fen ?? 0;
  assert.equal(found.find((d) => d.outTradeNo === lost)?.alipayFen, lostFen);

  // Alipay resends the lost notify just as the operator compensates: the kiosk learns of the payment and refunds
  // its expired order itself, with the same number the compensation uses.
  const record = (
    await stack.simJson<Array<{ outTradeNo: string; tradeStatus: string; params: Record<string, string> }>>(
      '/sim/notifies',
    )
  ).find((n) => n.outTradeNo === lost && n.tradeStatus === 'TRADE_SUCCESS');
  assert.ok(record, 'alipay-sim kept the notify it never delivered');
  const [resend, compensation] = await Promise.all([
    fetch(`${stack.relayUrl}/alipay/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(record.params).toString(),
    }).then((res) => res.text()),
    admin<{ action: DayDetail['actions'][number] }>(`/${lostDay}/refund`, { outTradeNo: lost }),
  ]);
  assert.equal(resend, 'success');
  assert.equal(compensation.status, 200);
  assert.equal(compensation.json.action.outRequestNo, lateRefundNo(lost));
  await settled(lost, 'refunded');

  const requests =
    await stack.simJson<Array<{ method: string | null; outRequestNo: string | null; code: string | null }>>(
      '/sim/requests',
    );
  const refundCalls = requests.filter(
    (r) => r.method === 'alipay.trade.refund' && r.outRequestNo === lateRefundNo(lost),
  );
  assert.ok(refundCalls.length >= 2, `both the kiosk and the relay asked Alipay for ${lateRefundNo(lost)}`);
  const after = await ledger();
  assert.deepEqual(
    after.refunds.map((r) => [r.outTradeNo, r.fen, r.outRequestNo]),
    [[lost, lostFen, lateRefundNo(lost)]],
    'the customer got the money back once, and only that trade was refunded',
  );
  assert.ok(
    !after.refunds.some((r) => r.outRequestNo === undeliveredRefundNo(refused)),
    'the refused refund stays refused',
  );

  // Run again (the bill now holds the refund): the compensated sale no longer differs, the audit stays.
  const rerun = await admin<DayDetail>(`/${lostDay}/run`);
  assert.equal(rerun.status, 200);
  assert.ok(
    !rerun.json.differences.some((d) => d.outTradeNo === lost),
    JSON.stringify(rerun.json.differences),
  );
  assert.deepEqual(
    rerun.json.actions.map((a) => [a.outTradeNo, a.outRequestNo, a.refundFen, a.trigger]),
    [[lost, lateRefundNo(lost), lostFen, 'operator']],
  );
  assert.ok(['refunded', 'already_refunded'].includes(rerun.json.actions[0]?.result ?? ''));

  // The app private key the relay and the command signed with never reached a log.
  const keyBody = fs.readFileSync(stack.appKeys.privateKeyFile, 'utf8').split('\n')[1] ?? '';
  assert.ok(keyBody.length > 20);
  assert.ok(!stack.relay.log().includes(keyBody), 'no part of the private key in the relay log');
});

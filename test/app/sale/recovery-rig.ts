// What the recovery tests (vend-recovery.test.ts for 0xFA 0xFB boards, vend-recovery.zdm8.test.ts) read and
// drive on a stack of real processes: the agent's database, the board simulator's control port, alipay-sim's
// ledger, and the agent restarted on the same database after a kill -9.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { waitFor } from '../../helpers/agent-harness.ts';
import { connectKioskRpc, waitForBoardLink } from '../../helpers/kiosk-rpc.ts';
import { STACK_MAINTENANCE_PIN, type Stack } from '../../helpers/stack.ts';

interface Ledger {
  payments: Array<{ outTradeNo: string; fen: number }>;
  refunds: Array<{ outTradeNo: string; fen: number }>;
}

export function query<T>(stack: Stack, sql: string, ...params: unknown[]): T[] {
  const db = new Database(stack.agentDbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export const orderState = (stack: Stack, no: string): string =>
  query<{ state: string }>(stack, 'SELECT state FROM orders WHERE out_trade_no = ?', no)[0]?.state ?? '';

export async function boardControl(stack: Stack, pathname: string, body: unknown = {}): Promise<void> {
  const res = await fetch(`${stack.boardControlUrl}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `vmc-sim ${pathname}: ${await res.text()}`);
}

/** The evidence window of the next agent start (the config file is read at each start). */
export function setEvidenceWindow(stack: Stack, seconds: number): void {
  const file = path.join(stack.dir, 'agent.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { sale: Record<string, unknown> };
  config.sale['recoveryEvidenceSeconds'] = seconds;
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

export async function boardLinkUp(stack: Stack): Promise<void> {
  const rpc = await connectKioskRpc(stack.agentUrl());
  try {
    await waitForBoardLink(rpc, () => stack.agent.log());
  } finally {
    rpc.close();
  }
}

export async function settled(stack: Stack, outTradeNo: string): Promise<void> {
  await waitFor(
    () => ['completed', 'refunded'].includes(orderState(stack, outTradeNo)),
    `order ${outTradeNo} to settle`,
    () => stack.agent.log(),
    60_000,
  );
}

export async function money(stack: Stack, outTradeNo: string): Promise<{ paid: number; refunded: number }> {
  const ledger = await stack.simJson<Ledger>('/sim/ledger');
  const sum = (rows: Array<{ outTradeNo: string; fen: number }>) =>
    rows.filter((r) => r.outTradeNo === outTradeNo).reduce((s, r) => s + r.fen, 0);
  return { paid: sum(ledger.payments), refunded: sum(ledger.refunds) };
}

export const item = (stack: Stack, no: string) =>
  query<{ vend_state: string; vend_detail: string }>(
    stack,
    'SELECT vend_state, vend_detail FROM order_items WHERE out_trade_no = ?',
    no,
  );
export const flags = (stack: Stack) =>
  query<{ lane: number; detail: string }>(
    stack,
    "SELECT lane, detail FROM maintenance_log WHERE action = 'check_interrupted_vend'",
  );

/** Starts a sale of one item from `lane` on the kiosk screen's API (the QR code is then shown). */
export async function checkout(
  stack: Stack,
  lane: number,
): Promise<{ outTradeNo: string; totalFen: number }> {
  const rpc = await connectKioskRpc(stack.agentUrl());
  try {
    return await rpc.invoke<{ outTradeNo: string; totalFen: number }>('sale.checkout', {
      items: [{ lane, quantity: 1 }],
    });
  } finally {
    rpc.close();
  }
}

/**
 * Sells one item from `lane` with the board holding its motor (`hold_motor`), kills the agent (kill -9) once
 * the board's motor turns (`motorTurning`, armed before the payment and awaited after it), runs `whileDown`
 * with the agent dead, and starts the agent again on the same database. Resolves with the sale.
 */
export async function killMidVend(
  stack: Stack,
  lane: number,
  motorTurning: () => Promise<void>,
  whileDown: () => Promise<void> = async () => {},
): Promise<{ outTradeNo: string; totalFen: number }> {
  await boardLinkUp(stack);
  await boardControl(stack, '/sim/faults', { kind: 'hold_motor', lane });
  const sale = await checkout(stack, lane);
  const turning = motorTurning();
  await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });
  await turning;
  stack.agent.child.kill('SIGKILL');
  await stack.agent.stop();
  await whileDown();
  await stack.startAgent();
  return sale;
}

/** The lanes (and details) the maintenance screen lists for a technician to check. */
export async function toCheck(stack: Stack): Promise<Array<{ lane: number; detail: string }>> {
  const rpc = await connectKioskRpc(stack.agentUrl());
  try {
    const session = await rpc.invoke<{ token: string }>('maintenance.unlock', { pin: STACK_MAINTENANCE_PIN });
    const overview = await rpc.invoke<{ toCheck: Array<{ lane: number; detail: string }> }>(
      'maintenance.overview',
      { token: session.token },
    );
    await rpc.invoke('maintenance.lock', { token: session.token });
    return overview.toCheck;
  } finally {
    rpc.close();
  }
}

/**
 * The interrupted item was refunded without the board's result (none within the `windowMs` evidence window)
 * and flagged once for a technician, on the maintenance screen too.
 */
export async function assertRefundedAndFlagged(
  stack: Stack,
  sale: { outTradeNo: string; totalFen: number },
  lane: number,
  windowMs: number,
): Promise<void> {
  assert.deepEqual(await money(stack, sale.outTradeNo), { paid: sale.totalFen, refunded: sale.totalFen });
  const [row] = item(stack, sale.outTradeNo);
  assert.equal(row?.vend_state, 'unknown');
  assert.match(
    row?.vend_detail ?? '',
    new RegExp(`the board offered no result for it within ${windowMs} ms; not retried`),
  );
  const flagged = flags(stack);
  assert.equal(flagged.length, 1);
  assert.equal(flagged[0]?.lane, lane);
  assert.match(flagged[0]?.detail ?? '', new RegExp(`order ${sale.outTradeNo} item 1`));
  // The technician sees it on the maintenance screen's data.
  const listed = await toCheck(stack);
  assert.deepEqual(
    listed.map((e) => e.lane),
    [lane],
  );
  assert.match(listed[0]?.detail ?? '', new RegExp(sale.outTradeNo));
}

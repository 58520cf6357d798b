// The sale lifecycle against real parts: alipay-sim over loopback HTTP, the notify relay, vmc-sim on an
// in-memory serial line, SQLite files. What is asserted is what the customer and the operator would see:
// goods out, money in the ledger, refunds of exactly what did not come out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  type BoardKind,
  startHarness as startOn,
  waitFor,
  type HarnessOptions,
} from '../../helpers/agent-harness.ts';
import type { OrderRow } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** A tmpfs of the given size (tests run as root here, as CI does), unmounted when the file ends. */
async function smallDisk(size: string): Promise<string> {
  const dir = tempDir('f2f-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  onCleanup(() => execFileSync('umount', ['-l', dir]));
  return dir;
}

/** Writes until the file system refuses another byte. */
function fillDisk(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) fs.writeSync(fd, chunk, 0, size);
      } catch {
        /* no room for this size: try a smaller one */
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

const order = (h: { agent: { store: { orders: { mustGet(n: string): OrderRow } } } }, no: string) =>
  h.agent.store.orders.mustGet(no);

/**
 * The same sale behaviour whichever board protocol is behind the Dispenser interface. One test file per board
 * (sale-service.<board>.test.ts), so each file stays well inside the runner's per-file limit on a busy machine.
 */
export function saleServiceScenarios(board: BoardKind): void {
  describe(`with a ${board} board`, () => {
    const startHarness = (options: HarnessOptions = {}) => startOn({ ...options, board });

    test('paid by push: two colas vend, the order completes, stock and ledger agree', async () => {
      const h = await startHarness();
      const sale = await h.agent.sales.checkout([{ lane: 2, quantity: 2 }]);
      assert.equal(sale.state, 'awaiting_payment');
      assert.equal(sale.totalFen, 700);
      assert.ok(sale.qrCode);

      await h.pay(sale.outTradeNo);
      await waitFor(() => order(h, sale.outTradeNo).state === 'completed', 'the sale to complete');

      assert.deepEqual(
        order(h, sale.outTradeNo).items.map((i) => i.vendState),
        ['delivered', 'delivered'],
      );
      assert.deepEqual(
        h.board.motorRuns().map((r) => [r.lane, r.result]),
        [
          [2, 'dispensed'],
          [2, 'dispensed'],
        ],
      );
      assert.equal(h.agent.store.lanes.get(2)?.stock, 3);
      const ledger = await h.ledger();
      assert.deepEqual(
        ledger.payments.map((p) => p.fen),
        [700],
      );
      assert.deepEqual(ledger.refunds, []);
    });

    test('a jammed lane: what came out is kept, exactly the rest is refunded once, with a deterministic out_request_no', async () => {
      const h = await startHarness({ faults: [{ kind: 'jam', lane: 1, times: 1 }] });
      const sale = await h.agent.sales.checkout([
        { lane: 1, quantity: 1 },
        { lane: 2, quantity: 1 },
      ]);
      await h.pay(sale.outTradeNo);
      await waitFor(() => order(h, sale.outTradeNo).state === 'refunded', 'the refund to be confirmed');

      const done = order(h, sale.outTradeNo);
      assert.deepEqual(
        done.items.map((i) => [i.lane, i.vendState]),
        [
          [1, 'not_delivered'],
          [2, 'delivered'],
        ],
      );
      const ledger = await h.ledger();
      assert.deepEqual(
        ledger.refunds.map((r) => [r.outTradeNo, r.fen, r.outRequestNo]),
        [[sale.outTradeNo, 200, `${sale.outTradeNo}_R1`]],
      );
      assert.equal(h.agent.store.lanes.get(1)?.stock, 5, 'a jam takes nothing out of the lane');
      assert.equal(h.agent.store.lanes.get(2)?.stock, 4);
    });

    test('a jam takes the lane out of service: the rest of the order is not tried on it, and refunded', async () => {
      const h = await startHarness({ faults: [{ kind: 'jam', lane: 1, times: 1 }] });
      const sale = await h.agent.sales.checkout([
        { lane: 1, quantity: 2 },
        { lane: 2, quantity: 1 },
      ]);
      await h.pay(sale.outTradeNo);
      await waitFor(() => order(h, sale.outTradeNo).state === 'refunded', 'the refund');
      assert.deepEqual(
        order(h, sale.outTradeNo).items.map((i) => i.vendState),
        ['not_delivered', 'not_delivered', 'delivered'],
      );
      assert.deepEqual(
        h.board.motorRuns().map((r) => r.lane),
        [1, 2],
        'the jammed lane was driven once',
      );
      assert.deepEqual(
        (await h.ledger()).refunds.map((r) => r.fen),
        [400],
      );
      assert.equal(h.agent.store.lanes.get(1)?.enabled, false);
      assert.equal(h.agent.store.maintenanceLog.recent()[0]?.action, 'lane_disabled');
      await assert.rejects(h.agent.sales.checkout([{ lane: 1, quantity: 1 }]), /not for sale/);
    });

    test('motor ran but no drop was seen: never counted as delivered, refunded and flagged', async () => {
      const h = await startHarness({ faults: [{ kind: 'no_drop', lane: 2, times: 1 }] });
      const sale = await h.agent.sales.checkout([{ lane: 2, quantity: 1 }]);
      await h.pay(sale.outTradeNo);
      await waitFor(() => order(h, sale.outTradeNo).state === 'refunded', 'the refund');
      assert.equal(order(h, sale.outTradeNo).items[0]?.vendState, 'unknown');
      assert.deepEqual(
        (await h.ledger()).refunds.map((r) => r.fen),
        [350],
      );
      assert.equal(h.board.motorRuns().length, 1, 'the vend was not retried');
    });

    test('with the relay unreachable, payment is confirmed by querying Alipay directly', async () => {
      const h = await startHarness({ relay: false });
      const sale = await h.agent.sales.checkout([{ lane: 1, quantity: 1 }]);
      await h.pay(sale.outTradeNo);
      // The sim's notify goes nowhere. The next query is due 3 s after checkout while the link is down.
      h.clock.now += 3_500;
      await h.agent.sales.tick();
      await waitFor(() => order(h, sale.outTradeNo).state === 'completed', 'the sale to complete via query');
      assert.deepEqual(
        h.board.motorRuns().map((r) => r.lane),
        [1],
      );
    });

    test('an unpaid QR code expires: the order ends, the trade is cancelled at Alipay, nothing vends', async () => {
      const h = await startHarness();
      const sale = await h.agent.sales.checkout([{ lane: 1, quantity: 1 }]);
      h.clock.now = (sale.expiresAt ?? 0) + 1;
      await h.agent.sales.tick();
      const expired = order(h, sale.outTradeNo);
      assert.equal(expired.state, 'expired');
      assert.equal(expired.message, 'the QR code expired');
      assert.ok((await h.requests()).some((r) => r.method === 'alipay.trade.cancel'));
      assert.deepEqual(h.board.motorRuns(), []);
    });

    test('a forged or altered notification leaves the order unpaid; a genuine one for a wrong amount too', async () => {
      const h = await startHarness();
      const sale = await h.agent.sales.checkout([{ lane: 1, quantity: 1 }]);
      const { signParams } = await import('../../../app/alipay/index.ts');
      const params: Record<string, string> = {
        app_id: '2021000000000007',
        notify_id: 'n1',
        notify_type: 'trade_status_sync',
        out_trade_no: sale.outTradeNo,
        total_amount: '2.00',
        trade_no: '2026112200000001',
        trade_status: 'TRADE_SUCCESS',
      };
      // Alipay signs trade notifications without sign_type, then adds it.
      const sign = (p: Record<string, string>) => ({
        ...p,
        sign_type: 'RSA2',
        sign: signParams(p, h.alipayPrivateKey),
      });
      const signed = sign(params);
      const altered = new URLSearchParams({ ...signed, total_amount: '0.01' }).toString();
      assert.equal((await h.agent.sales.handleNotification(altered)).accepted, false);
      const wrongAmount = { ...params, total_amount: '0.02' };
      const genuineWrong = new URLSearchParams(sign(wrongAmount)).toString();
      const verdict = await h.agent.sales.handleNotification(genuineWrong);
      assert.equal(verdict.accepted, false);
      assert.match(!verdict.accepted ? verdict.reason : '', /amount/);
      assert.equal((await h.agent.sales.handleNotification('%%%not a form')).accepted, false);
      assert.equal(order(h, sale.outTradeNo).state, 'awaiting_payment');
      assert.deepEqual(h.board.motorRuns(), []);
      // The same notification unaltered is accepted: only the change made the difference.
      assert.equal(
        (await h.agent.sales.handleNotification(new URLSearchParams(signed).toString())).accepted,
        true,
      );
    });

    test('a crash after the vend intent was committed: restart never re-sends that vend, refunds it, vends the rest', async () => {
      const h = await startHarness();
      const sale = await h.agent.sales.checkout([
        { lane: 1, quantity: 1 },
        { lane: 2, quantity: 1 },
      ]);
      await h.stopAgent();
      await h.pay(sale.outTradeNo);
      // What the database holds if power was cut right after item 1's intent was committed.
      const Database = (await import('better-sqlite3')).default;
      const raw = new Database(`${h.dir}/agent/kiosk.sqlite`);
      raw.prepare(`UPDATE orders SET state = 'vending' WHERE out_trade_no = ?`).run(sale.outTradeNo);
      raw
        .prepare(`UPDATE order_items SET vend_state = 'vending' WHERE out_trade_no = ? AND position = 1`)
        .run(sale.outTradeNo);
      raw.close();

      await h.restartAgent();
      await waitFor(() => order(h, sale.outTradeNo).state === 'refunded', 'recovery to settle the order');
      const settled = order(h, sale.outTradeNo);
      assert.deepEqual(
        settled.items.map((i) => i.vendState),
        ['unknown', 'delivered'],
      );
      assert.deepEqual(
        h.board.motorRuns().map((r) => r.lane),
        [2],
        'lane 1 was not driven again',
      );
      assert.deepEqual(
        (await h.ledger()).refunds.map((r) => r.fen),
        [200],
      );
    });

    test('a payment that races the expiry while Alipay is unreachable is refunded once Alipay answers', async () => {
      const h = await startHarness({ relay: false });
      const sale = await h.agent.sales.checkout([{ lane: 1, quantity: 1 }]);
      await h.simControl('/sim/scan', { outTradeNo: sale.outTradeNo });
      // At the expiry Alipay does not answer the cancel (nor the last query).
      await h.simControl('/sim/faults', {
        serviceUnavailableNext: 8,
        methods: ['alipay.trade.cancel', 'alipay.trade.query'],
      });
      h.clock.now = (sale.expiresAt ?? 0) + 1;
      await h.agent.sales.tick();
      assert.equal(order(h, sale.outTradeNo).state, 'expired');
      // The buyer, who scanned in time, completes the payment; its notification is lost (no relay).
      await h.pay(sale.outTradeNo);
      await h.simControl('/sim/faults', { reset: true });
      h.clock.now += 1_000;
      await h.agent.sales.tick(); // first sight of the owed cancel: waits a full interval
      h.clock.now += 31_000;
      await h.agent.sales.tick();
      await waitFor(
        () => order(h, sale.outTradeNo).state === 'refunded',
        'the retried cancel to refund the payment',
      );
      const ledger = await h.ledger();
      assert.deepEqual(
        ledger.payments.map((p) => p.fen),
        [200],
      );
      assert.deepEqual(
        ledger.refunds.map((r) => r.fen),
        [200],
        'the whole payment went back, once',
      );
      assert.deepEqual(h.board.motorRuns(), [], 'nothing was vended for an expired order');
    });

    test('with the disk full, checkout answers a clear error and no QR code is ever issued', async () => {
      // The agent's data on a small file system of its own, then filled to the last byte: a full disk.
      const disk = await smallDisk('4m');
      const h = await startHarness({ configure: () => ({ dataDir: disk }) });
      fillDisk(disk);
      const answer = await h.agent.dispatch('sale.checkout', { items: [{ lane: 1, quantity: 1 }] });
      assert.deepEqual(answer, {
        ok: false,
        error: {
          code: 'unavailable',
          message: "the kiosk's storage is full; sales are paused until a technician frees space",
        },
      });
      assert.deepEqual(
        (await h.requests()).filter((r) => r.method === 'alipay.trade.precreate'),
        [],
      );
      assert.deepEqual(h.board.motorRuns(), []);
    });

    test('with the board offline nothing can be bought', async () => {
      const h = await startHarness();
      await h.board.close();
      await waitFor(
        () => h.agent.dispenser.linkState === 'down',
        'the link to go down',
        () => '',
        5000,
      );
      await assert.rejects(h.agent.sales.checkout([{ lane: 1, quantity: 1 }]), /offline/);
      assert.equal(h.agent.sales.current(), null);
    });

    test('a refund whose answer is lost is retried from the outbox with the same out_request_no and paid once', async () => {
      const h = await startHarness({ faults: [{ kind: 'jam', lane: 2, times: 1 }] });
      // Alipay carries out the refund but the answer never arrives, for every try the client makes now.
      await h.simControl('/sim/faults', { dropResponseNext: 3, methods: ['alipay.trade.refund'] });
      const sale = await h.agent.sales.checkout([{ lane: 2, quantity: 1 }]);
      await h.pay(sale.outTradeNo);
      await waitFor(
        () =>
          h.agent.store.refunds.forOrder(sale.outTradeNo)[0]?.lastError !== null &&
          h.agent.store.refunds.forOrder(sale.outTradeNo).length === 1,
        'the first refund attempt to end without an answer',
      );
      assert.equal(order(h, sale.outTradeNo).state, 'refund_pending', 'the customer is still owed the money');

      h.clock.now += 6_000; // past the retry spacing
      await h.agent.sales.tick();
      await waitFor(
        () => order(h, sale.outTradeNo).state === 'refunded',
        'the retried refund to be confirmed',
      );
      const ledger = await h.ledger();
      assert.deepEqual(
        ledger.refunds.map((r) => [r.fen, r.outRequestNo]),
        [[350, `${sale.outTradeNo}_R1`]],
        'Alipay moved the money exactly once',
      );
      const refundCalls = (await h.requests()).filter((r) => r.method === 'alipay.trade.refund');
      assert.ok(refundCalls.length >= 2, 'the refund was asked for again');
    });

    test('a refund Alipay refuses because the trade was already refunded in full settles without paying twice', async () => {
      const h = await startHarness({ faults: [{ kind: 'jam', lane: 2, times: 1 }] });
      await h.simControl('/sim/faults', { serviceUnavailableNext: 3, methods: ['alipay.trade.refund'] });
      const sale = await h.agent.sales.checkout([{ lane: 2, quantity: 1 }]);
      await h.pay(sale.outTradeNo);
      await waitFor(
        () => (h.agent.store.refunds.forOrder(sale.outTradeNo)[0]?.attempts ?? 0) >= 1,
        'the first refund attempt to fail',
      );
      // Meanwhile an operator refunds the whole trade from the merchant console.
      const { AlipayClient, loadPrivateKey, loadPublicKey } = await import('../../../app/alipay/index.ts');
      const fs = await import('node:fs');
      const operator = new AlipayClient({
        gatewayUrl: `${h.simUrl}/gateway.do`,
        appId: '2021000000000007',
        privateKey: loadPrivateKey(fs.readFileSync(`${h.dir}/app.pem`, 'utf8')),
        alipayPublicKey: loadPublicKey(fs.readFileSync(`${h.dir}/alipay.pub.pem`, 'utf8')),
      });
      const manual = await operator.refund({
        outTradeNo: sale.outTradeNo,
        refundFen: 350,
        outRequestNo: 'console1',
      });
      assert.equal(manual.kind, 'success');

      h.clock.now += 6_000;
      await h.agent.sales.tick();
      await waitFor(() => order(h, sale.outTradeNo).state === 'refunded', 'the order to settle');
      assert.deepEqual(
        (await h.ledger()).refunds.map((r) => [r.fen, r.outRequestNo]),
        [[350, 'console1']],
      );
      assert.equal(h.agent.store.refunds.forOrder(sale.outTradeNo)[0]?.state, 'succeeded');
    });
  });
}

// The anchor: a kiosk confirming payment the way Alipay's official face-to-face demos do — no notify, just
// alipay.trade.query every 3 s until the trade succeeds. It runs against the same alipay-sim, interleaved with
// the sales being measured, and records from the buyer's payment to the query answer that shows it paid.
import { randomBytes } from 'node:crypto';
import type { Stack } from '../../test/helpers/stack.ts';
import { stackAlipayClient } from './stack-alipay.ts';
import { nowMs } from './figures.ts';

export const ANCHOR_QUERY_INTERVAL_MS = 3000;

export interface Anchor {
  /** Stops starting new anchor sales, waits for those under way, returns their latencies (ms). */
  stop(): Promise<number[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `workers` anchor kiosks, each selling one trade after another until stopped (or `limit` samples). */
export function startAnchor(stack: Stack, workers: number, limit = Infinity): Anchor {
  const client = stackAlipayClient(stack);
  const latencies: number[] = [];
  let running = true;
  const worker = async () => {
    while (running && latencies.length < limit) {
      const outTradeNo = `ANCHOR${randomBytes(8).toString('hex')}`;
      const created = await client.precreate({ outTradeNo, totalFen: 300, subject: 'anchor' });
      if (created.kind !== 'success') throw new Error(`anchor precreate: ${JSON.stringify(created)}`);
      // The QR code is on screen from now; the kiosk queries every 3 s from here, and the customer pays at a
      // moment that has nothing to do with that rhythm.
      const shownAt = nowMs();
      let paidAt = Infinity;
      void sleep(Math.random() * 2 * ANCHOR_QUERY_INTERVAL_MS).then(async () => {
        paidAt = nowMs();
        await stack.simJson('/sim/pay', { outTradeNo });
      });
      for (let k = 1; ; k++) {
        await sleep(Math.max(0, shownAt + k * ANCHOR_QUERY_INTERVAL_MS - nowMs()));
        const answer = await client.query({ outTradeNo });
        const at = nowMs();
        if (answer.kind === 'success' && answer.value.tradeStatus === 'TRADE_SUCCESS' && at >= paidAt) {
          latencies.push(at - paidAt);
          break;
        }
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    stop: async () => {
      running = false;
      await all;
      return latencies;
    },
  };
}

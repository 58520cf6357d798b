// While a customer pays, a 0xFA 0xFB board gets ready for the vend: it POLLs faster (app/dispenser/
// poll-pace.ts: short while an order is open, the idle pace otherwise) and the order's lanes are checked
// when the QR code is shown, so the vend that follows the payment can leave at the board's next POLL instead
// of three POLLs later (docs/dispenser.md, "POLL pace"). Only boards whose driver can set the interval take
// part.
import { PollPace, type Dispenser, type FafbDispenser } from '../dispenser/index.ts';
import type { OrderRow, OrderState } from '../store/index.ts';
import type { AgentConfig } from './agent-config.ts';

/** A customer is paying or waiting for the goods. */
const OPEN: ReadonlySet<OrderState> = new Set(['created', 'awaiting_payment', 'paid', 'vending']);

/** Starts it; returns its stop, or null when the board has no such commands. */
export function readyBoardWhilePaying(
  config: AgentConfig['dispenser'],
  dispenser: Dispenser,
  sales: { onChange(listener: (order: OrderRow) => void): () => void },
  log: (line: string) => void,
): (() => void) | null {
  if (config.driver !== 'fafb' || !('setPollInterval' in dispenser)) return null;
  const board = dispenser as FafbDispenser;
  const pace =
    config.pollPace === false
      ? null
      : new PollPace({ ...config.pollPace, set: (ms) => board.setPollInterval(ms), log });
  const checked = new Set<string>();
  const off = sales.onChange((order) => {
    pace?.order(order.outTradeNo, OPEN.has(order.state));
    if (order.state !== 'awaiting_payment' || checked.has(order.outTradeNo)) return;
    checked.add(order.outTradeNo);
    if (checked.size > 100) checked.delete(checked.values().next().value!);
    // The board's answer is kept by the driver for the vend (a vend asks again if it is stale).
    for (const lane of new Set(order.items.map((i) => i.lane))) {
      board.laneStatus(lane).then(
        (status) => log(`lane ${lane} checked while the customer pays: ${status.state}`),
        (err: unknown) => log(`lane ${lane} check while the customer pays: ${(err as Error).message}`),
      );
    }
  });
  return () => {
    off();
    pace?.close();
  };
}

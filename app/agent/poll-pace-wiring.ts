// The FAFB board's POLL pace follows the sales (app/dispenser/poll-pace.ts): short while an order is open,
// the idle pace otherwise. Only boards whose driver can set the interval take part.
import { PollPace, type Dispenser, type FafbDispenser } from '../dispenser/index.ts';
import type { OrderRow, OrderState } from '../store/index.ts';
import type { AgentConfig } from './agent-config.ts';

/** A customer is paying or waiting for the goods. */
const OPEN: ReadonlySet<OrderState> = new Set(['created', 'awaiting_payment', 'paid', 'vending']);

/** Starts the pace; returns its stop, or null when the configuration or the board has none. */
export function pacePolls(
  config: AgentConfig['dispenser'],
  dispenser: Dispenser,
  sales: { onChange(listener: (order: OrderRow) => void): () => void },
  log: (line: string) => void,
): (() => void) | null {
  const pace = config.pollPace;
  if (config.driver !== 'fafb' || pace === false || !('setPollInterval' in dispenser)) return null;
  const board = dispenser as FafbDispenser;
  const poll = new PollPace({ ...pace, set: (ms) => board.setPollInterval(ms), log });
  const off = sales.onChange((order) => poll.order(order.outTradeNo, OPEN.has(order.state)));
  return () => {
    off();
    poll.close();
  };
}

// What the sale logic needs from Alipay: the subset of the gateway client it calls. Tests and the demo pass the
// real AlipayClient pointed at alipay-sim.
import type { AlipayClient } from '../alipay/index.ts';

export type PaymentGateway = Pick<AlipayClient, 'precreate' | 'query' | 'cancel' | 'refund'>;

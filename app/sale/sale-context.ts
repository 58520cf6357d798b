// What every part of the sale logic shares: its dependencies (injected, so tests pass real parts on loopback)
// and the one way to tell the UI that an order changed.
import type { KeyObject } from 'node:crypto';
import type { Dispenser } from '../dispenser/dispenser.ts';
import type { OrderRow, Store } from '../store/index.ts';
import type { PaymentGateway } from './payment-gateway.ts';

export interface AlipayIdentity {
  readonly appId: string;
  /** When set, notifications and queries for another seller are rejected. */
  readonly sellerId?: string;
  /** The Alipay public key: the kiosk verifies every notification itself, whatever the relay says. */
  readonly publicKey: KeyObject;
  /** The relay's public notify URL, given to Alipay at precreate. */
  readonly notifyUrl: string;
}

export interface SaleDeps {
  readonly kioskId: string;
  readonly store: Store;
  readonly gateway: PaymentGateway;
  readonly dispenser: Dispenser;
  readonly alipay: AlipayIdentity;
  /** How long a QR code may be paid, in ms (DESIGN: default 120 s). */
  readonly paymentTimeoutMs: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface SaleContext extends SaleDeps {
  /** Tells listeners (the UI) that an order changed; reads the committed row, never an in-memory copy. */
  readonly changed: (outTradeNo: string) => void;
  /** When each pending refund was last sent, so the background loop spaces out its retries. */
  readonly lastRefundAttempt: Map<string, number>;
}

export type OrderListener = (order: OrderRow) => void;

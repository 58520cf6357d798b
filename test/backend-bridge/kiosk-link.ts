// A kiosk on its real relay link (RelayClient over the kiosk's SQLite cursor) for the relay's durability
// tests: counts how often each out_trade_no was applied, so "delivered" and "never twice" can be asserted.
import fs from 'node:fs';
import path from 'node:path';
import { parseNotifyBody } from '../../app/alipay/index.ts';
import { RelayClient } from '../../app/link/index.ts';
import { openStore } from '../../app/store/index.ts';
import type { Store } from '../../app/store/index.ts';
import { KIOSKS, tempDir } from './helpers.ts';

const [k1] = KIOSKS as [(typeof KIOSKS)[number]];

export interface TestKiosk {
  readonly client: RelayClient;
  readonly store: Store;
  /** out_trade_no → how many times the kiosk applied a notify for it. */
  readonly applied: Map<string, number>;
  stop(): Promise<void>;
}

export function kioskOnRelay(relayUrl: string): TestKiosk {
  const dir = tempDir();
  const store = openStore(path.join(dir, 'kiosk.sqlite'));
  const applied = new Map<string, number>();
  const client = new RelayClient({
    url: relayUrl,
    kioskId: k1.id,
    token: k1.token,
    cursor: store.relayCursor,
    handle: (event) => {
      const order = parseNotifyBody(event.body).out_trade_no ?? '';
      applied.set(order, (applied.get(order) ?? 0) + 1);
      return Promise.resolve();
    },
    backoff: { initialMs: 50, multiplier: 1.5, maxMs: 200, jitter: 0.1 },
    longPollWaitSeconds: 0,
  });
  client.start();
  return {
    client,
    store,
    applied,
    stop: async () => {
      await client.stop();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

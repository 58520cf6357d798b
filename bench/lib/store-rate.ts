// The relay's SQLite store alone (no HTTP, no RSA): notifies stored per second with `inFlight` of them
// waiting at once, as concurrent requests would submit them. With one in flight every notify pays its own
// fsync; with more, group commit shares each fsync among those that arrived in the same event-loop turn.
import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore } from '../../backend-bridge/event-store.ts';
import { nowMs } from './figures.ts';

export async function storeNotifiesPerSecond(dir: string, inFlight: number, ms: number): Promise<number> {
  const file = path.join(dir, `store-${inFlight}-${Date.now()}.sqlite`);
  const store = SqliteStore.open(file);
  await store.openEpoch(new Date().toISOString());
  let n = 0;
  let done = 0;
  const t0 = nowMs();
  const worker = async (): Promise<void> => {
    while (nowMs() - t0 < ms) {
      const i = n++;
      await store.storeNotify({
        dedupKey: `bench-${i}`,
        notifyId: `n${i}`,
        outTradeNo: `K${i % 100}_${i}`,
        notifyKind: 'payment',
        kioskId: `K${i % 100}`,
        rawBody: 'x'.repeat(600), // about one notify's raw body
        params: { out_trade_no: `K${i % 100}_${i}` },
        receivedAt: new Date().toISOString(),
      });
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = done / ((nowMs() - t0) / 1000);
  await store.close();
  for (const suffix of ['', '-wal', '-shm', '-position']) fs.rmSync(file + suffix, { force: true });
  return rate;
}

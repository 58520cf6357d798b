// Alipay gateway simulator: the real OpenAPI wire protocol plus /sim/* test controls.
export { startAlipaySim } from './server.ts';
export type { AlipaySim, AlipaySimOptions, RequestLogEntry } from './server.ts';
export type { Faults } from './faults.ts';
export { NOTIFY_RETRY_SCHEDULE_MS } from './notifier.ts';
export type { NotifyRecord } from './notifier.ts';
export type { LedgerEntry } from './trades.ts';

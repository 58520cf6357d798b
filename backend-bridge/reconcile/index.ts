// Reconciliation (对账): pure functions over plain data (reconcile, classify, planCompensation, runDay), and the
// relay's side around them: its sources and store (sources.ts, store.ts: async, plain SQL), the service that
// runs a day and sends audited refunds (service.ts), the daily schedule and the configuration.
export { reconcile } from './reconcile.ts';
export type { ReconcileInput, ReconcileReport } from './reconcile.ts';
export { DIFFERENCE_CLASSES, classifyTrade } from './classify.ts';
export type { Difference, DifferenceClass } from './classify.ts';
export { planCompensation } from './compensation.ts';
export type { CompensationPlan, PlannedRefund } from './compensation.ts';
export { readSettledSales } from './settled-sale.ts';
export type { KioskRefund, SettledSale, TelemetryEvent } from './settled-sale.ts';
export type { StoredNotification, TradeFacts } from './trade-facts.ts';
export { beijingDay, dayToReconcile, dayWindow } from './day.ts';
export { runDay } from './run-day.ts';
export type { DayRun, DayRunDeps, ReconcileSources, SourceQuery } from './run-day.ts';

export * from './sale-service.ts';
export * from './sale-context.ts';
export * from './sale-transitions.ts';
export * from './checkout.ts';
export * from './out-trade-no.ts';
export * from './payment-gateway.ts';
export type { NotificationVerdict } from './payment-confirmation.ts';

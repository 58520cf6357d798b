export * from './pin-hash.ts';
export * from './maintenance-sessions.ts';
export * from './maintenance-service.ts';
export * from './sales-summary.ts';
export * from './recent-log.ts';
export * from './link-states.ts';

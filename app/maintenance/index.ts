export * from './pin-hash.ts';
export * from './maintenance-sessions.ts';
export * from './maintenance-service.ts';

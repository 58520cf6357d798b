export * from './contract.ts';
export * from './dispatcher.ts';
export * from './event-hub.ts';
export * from './handlers.ts';
export * from './ipc-channels.ts';

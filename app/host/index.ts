export * from './browser-host.ts';
export * from './static-files.ts';
export * from './ipc-bridge.ts';

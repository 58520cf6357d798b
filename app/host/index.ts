export * from './browser-host.ts';
export * from './static-files.ts';
export * from './ipc-bridge.ts';
export * from './kiosk-keys.ts';
export * from './renderer-crash-policy.ts';
export * from './app-protocol.ts';
export * from './error-boundary.ts';

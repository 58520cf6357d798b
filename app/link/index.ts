export * from './relay-client.ts';
export * from './relay-protocol.ts';
export * from './backoff.ts';
export * from './long-poll.ts';
export * from './outbox-uploader.ts';
export * from './kiosk-status.ts';

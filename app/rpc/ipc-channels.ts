// The Electron host's IPC channel names: one for requests (invoke), one for pushed events. Kept apart from
// contract.ts so the sandboxed preload bundles these two strings and not the schema library.
export const IPC_INVOKE_CHANNEL = 'kiosk-rpc:invoke';
export const IPC_EVENT_CHANNEL = 'kiosk-rpc:event';

// Registers the app:// scheme with Electron: privileged (standard, secure) before the app is ready, then served
// from the renderer directory by app/host/app-protocol.ts once it is.
import { protocol } from 'electron';
import { answerAppRequest, APP_SCHEME } from '../app/host/app-protocol.ts';

/** Must run before the app's `ready` event. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => answerAppRequest(request.url, rendererDir));
}

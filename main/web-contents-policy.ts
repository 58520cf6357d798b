// One policy for every web contents the app ever creates (research/electron.md §1, "web-contents-created"):
// set on the app, not per window, so a webview, a devtools window or a window opened some other way gets it
// too. Navigation only within the kiosk's own app:// origin, no redirects, no new windows, no webviews, and
// in production no devtools.
import type { App, WebContents } from 'electron';
import { isAppUrl } from '../app/host/app-protocol.ts';

export function lockDownWebContents(app: App, options: { readonly devTools: boolean }): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    if (!options.devTools) contents.on('devtools-opened', () => contents.closeDevTools());
  });
}

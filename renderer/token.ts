// The browser host hands the renderer a per-boot token in the URL fragment (`#token=<hex>`). The fragment never
// reaches a server log; we still take it out of the visible URL at once so it cannot be read off the screen
// or a screenshot. It is kept in sessionStorage (this tab only) so that a reload after a renderer crash
// still connects.

const TOKEN_PATTERN = /^[0-9a-fA-F]{16,256}$/;
const STORAGE_KEY = 'kiosk-rpc-token';

/** Reads and hides the token; null when the page was opened without a valid one. */
export function takeRpcToken(win: Window): string | null {
  const fragment = new URLSearchParams(win.location.hash.replace(/^#/, ''));
  const fromHash = fragment.get('token');
  if (fromHash !== null) {
    win.history.replaceState(null, '', win.location.pathname + win.location.search);
    if (!TOKEN_PATTERN.test(fromHash)) return null;
    try {
      win.sessionStorage.setItem(STORAGE_KEY, fromHash);
    } catch {
      // Storage may be disabled; the token still works for this page load.
    }
    return fromHash;
  }
  try {
    const stored = win.sessionStorage.getItem(STORAGE_KEY);
    return stored !== null && TOKEN_PATTERN.test(stored) ? stored : null;
  } catch {
    return null;
  }
}

// The console's server-side pieces of HTML and its response headers. The login page is rendered here (it
// must work before any script is allowed to load); everything after the login is the built single page.
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  // No inline script or style anywhere: the pages load their own files only.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a form's POST carries `Origin: null` and the login's origin
  // check could not tell the console's own form from another site's.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** The files of the built console a logged-in browser may fetch, with their media types. */
export const CONSOLE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'uplot.css': 'text/css; charset=utf-8',
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loginPage(message?: string): string {
  const note = message === undefined ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Kiosk fleet console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/login.css">
</head>
<body>
<main class="login">
<h1>Kiosk fleet console</h1>
${note}
<form method="post" action="/console/login">
<label for="password">Admin password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}

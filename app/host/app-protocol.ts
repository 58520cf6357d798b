// The Electron host serves the renderer from a custom `app://kiosk/` scheme instead of file:// (research/
// electron.md §1): a standard, secure origin of its own, the same CSP and headers the browser host sends — as
// real response headers, not a meta tag — and no reach into the rest of the file system. This is the answer
// logic only; main/ registers the scheme with Electron and hands each request here.
import fs from 'node:fs/promises';
import { BadRequest } from './error-boundary.ts';
import { rendererHeaders, resolveRendererFile } from './static-files.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'kiosk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** True for a URL of the kiosk's own renderer (the only pages that may load, navigate or call the agent). */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '';
  } catch {
    return false;
  }
}

/** Answers one app:// request from the renderer directory: 200 with the renderer headers, else 400/404. */
export async function answerAppRequest(url: string, rendererDir: string): Promise<Response> {
  if (!isAppUrl(url)) return plain(404, 'not found');
  let file: string | null;
  try {
    file = resolveRendererFile(rendererDir, new URL(url).pathname);
  } catch (err) {
    if (err instanceof BadRequest) return plain(400, 'bad request');
    throw err;
  }
  if (!file) return plain(404, 'not found');
  try {
    const data = await fs.readFile(file);
    return new Response(data, { status: 200, headers: rendererHeaders(file, APP_ORIGIN) });
  } catch {
    return plain(404, 'not found');
  }
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

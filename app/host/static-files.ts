// Serves the built renderer (dist/renderer) with the headers a kiosk page should have: a strict CSP, no
// framing, no sniffing, no caching of the entry page (so an update is picked up on the next reload).
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { BadRequest } from './error-boundary.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export function contentSecurityPolicy(origin: string): string {
  const wsOrigin = origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${wsOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function serveStatic(root: string, urlPath: string, origin: string, res: ServerResponse): void {
  const file = resolveRendererFile(root, urlPath);
  if (!file) return notFound(res);
  fs.readFile(file, (err, data) => {
    if (err) return notFound(res);
    res.writeHead(200, rendererHeaders(file, origin));
    res.end(data);
  });
}

/**
 * The file under `root` a request path names (`/` is the entry page), or null when it names nothing that may be
 * served: a NUL byte, or a path that climbs out of the renderer directory. Throws BadRequest on a path that does
 * not percent-decode. The browser host and the Electron app:// protocol both serve through this.
 */
export function resolveRendererFile(root: string, urlPath: string): string | null {
  const relative = decodePath(urlPath === '/' ? '/index.html' : urlPath);
  // A NUL byte is no file name (and fs would throw on it).
  if (relative.includes('\0')) return null;
  const file = path.resolve(root, '.' + relative);
  // Never serve anything outside the renderer directory, whatever the path says.
  return file.startsWith(path.resolve(root) + path.sep) ? file : null;
}

/** The headers every renderer file is served with, whichever host serves it. */
export function rendererHeaders(file: string, origin: string): Record<string, string> {
  return {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-security-policy': contentSecurityPolicy(origin),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': path.extname(file) === '.html' ? 'no-store' : 'no-cache',
  };
}

/** Percent-decodes a request path; one that does not decode (`/%E0%A4%A`) is a bad request, not a crash. */
function decodePath(urlPath: string): string {
  try {
    return decodeURIComponent(urlPath);
  } catch {
    throw new BadRequest('request path is not valid percent-encoded UTF-8');
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('not found');
}

// Small HTTP helpers: bounded body reading, answers, request targets and client addresses.
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The client went away (or its connection failed) before the whole body arrived. */
export class BodyIncompleteError extends Error {
  constructor() {
    super('request body ended early');
    this.name = 'BodyIncompleteError';
  }
}

export class BodyNotUtf8Error extends Error {
  constructor() {
    super('request body is not valid UTF-8');
    this.name = 'BodyNotUtf8Error';
  }
}

/** Reads the whole body as UTF-8 text, refusing more than `limit` bytes (checked before and while reading). */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      // Not read at all: the answer closes the connection (see bodyLeftUnread), so nothing more is consumed.
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        req.pause(); // read no further: the answer closes the connection
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        // ignoreBOM keeps a leading BOM in the text, so the notify parser sees (and refuses) it.
        resolve(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks)));
      } catch {
        reject(new BodyNotUtf8Error());
      }
    });
    const incomplete = (): void => {
      if (!failed && !req.complete) reject(new BodyIncompleteError());
      failed = true;
    };
    req.on('error', incomplete);
    req.on('close', incomplete);
  });
}

/** What a handler answers; the HTTP layer (routes.ts) writes it. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

export function textAnswer(status: number, text: string): Answer {
  return { status, contentType: 'text/plain; charset=utf-8', body: text };
}

export function jsonAnswer(status: number, value: unknown): Answer {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}

/**
 * An answer given before the request body was read to its end must close the connection: otherwise Node
 * reads (and discards) the rest to reach the next request, however long the sender keeps sending.
 */
export function bodyLeftUnread(req: IncomingMessage): boolean {
  return !req.complete || req.readableLength > 0;
}

/** The path and query of a request target, or undefined when it is not one (`//[`, `*`, garbage). */
export function requestTarget(rawUrl: string | undefined): URL | undefined {
  if (rawUrl === undefined || !rawUrl.startsWith('/') || rawUrl.startsWith('//')) return undefined;
  try {
    return new URL(rawUrl, 'http://relay.invalid');
  } catch {
    return undefined;
  }
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Whose X-Forwarded-For to believe: `true` every peer's (only when the relay is reachable solely through
 * the proxy), `false` nobody's, `'loopback'` (the default) a peer on 127.0.0.0/8 or ::1, which is where the
 * documented nginx runs; a direct client from elsewhere cannot pick its own address.
 */
export type TrustProxy = boolean | 'loopback';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The address a request came from: behind a trusted reverse proxy the last entry of X-Forwarded-For (the
 * one that proxy appended); otherwise the socket's peer, and the header is ignored (anyone can send it).
 */
export function clientAddress(req: IncomingMessage, trustProxy: TrustProxy): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (fromTrustedProxy(req, trustProxy)) {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const last = forwarded.at(-1);
    if (last) return last;
  }
  return peer;
}

/** Whether the request's peer is a proxy whose X-Forwarded-* headers are believed. */
export function fromTrustedProxy(req: IncomingMessage, trustProxy: TrustProxy): boolean {
  return trustProxy === true || (trustProxy === 'loopback' && LOOPBACK.test(req.socket.remoteAddress ?? ''));
}

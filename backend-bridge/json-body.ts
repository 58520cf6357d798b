// A JSON request body, read bounded and validated, or the answer that refuses it: 415 not application/json,
// 413 over the limit, 400 not UTF-8, cut short, not JSON or not the expected shape (with what was expected).
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import {
  BodyIncompleteError,
  BodyNotUtf8Error,
  BodyTooLargeError,
  jsonAnswer,
  mediaType,
  readBody,
} from './http-util.ts';
import type { Answer } from './http-util.ts';

export type JsonBody<T> = { ok: true; value: T } | { ok: false; answer: Answer };

export async function readJsonBody<T>(
  req: IncomingMessage,
  limit: number,
  schema: z.ZodType<T>,
  expected: string,
): Promise<JsonBody<T>> {
  const refuse = (status: number, error: string, message: string): JsonBody<T> => ({
    ok: false,
    answer: jsonAnswer(status, { error, message }),
  });
  if (mediaType(req.headers['content-type']) !== 'application/json') {
    return refuse(415, 'unsupported_media_type', 'send application/json');
  }
  let text: string;
  try {
    text = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return refuse(413, 'too_large', err.message);
    if (err instanceof BodyNotUtf8Error || err instanceof BodyIncompleteError)
      return refuse(400, 'malformed', err.message);
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refuse(400, 'malformed', `not JSON; expected ${expected}`);
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : refuse(400, 'malformed', `expected ${expected}`);
}

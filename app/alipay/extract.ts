import { AlipayError } from './errors.ts';

/**
 * Splits a gateway response body into its top-level members WITHOUT re-serialising anything: each value
 * is the exact substring that was received. Alipay signs the raw text of the `<method>_response` node
 * (escaped `\/`, whitespace and all), so verification must run over these bytes (research/alipay.md §2).
 * String-aware (braces inside strings do not count); duplicate top-level keys are refused so that a
 * second, unsigned node cannot be smuggled next to a signed one.
 */
export function splitTopLevel(body: string): Map<string, string> {
  if (typeof body !== 'string') throw new AlipayError('malformed_response', 'response body is not text');
  try {
    // Validates the whole document once, so the scanner below may assume well-formed JSON.
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AlipayError('malformed_response', 'response is not a JSON object');
    }
  } catch (err) {
    if (err instanceof AlipayError) throw err;
    throw new AlipayError('malformed_response', 'response is not valid JSON');
  }
  const members = new Map<string, string>();
  let i = skipWs(body, 0);
  i++; // '{'
  i = skipWs(body, i);
  if (body[i] === '}') return members;
  for (;;) {
    const keyEnd = endOfString(body, i);
    const key = JSON.parse(body.slice(i, keyEnd)) as string;
    i = skipWs(body, keyEnd);
    i = skipWs(body, i + 1); // ':'
    const valueEnd = endOfValue(body, i);
    if (members.has(key)) {
      throw new AlipayError(
        'malformed_response',
        `duplicate top-level key ${JSON.stringify(key.slice(0, 64))}`,
      );
    }
    members.set(key, body.slice(i, valueEnd));
    i = skipWs(body, valueEnd);
    if (body[i] === ',') {
      i = skipWs(body, i + 1);
      continue;
    }
    return members;
  }
}

function skipWs(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
    i++;
  return i;
}

/** `from` points at an opening quote; returns the index just after the closing quote. */
function endOfString(text: string, from: number): number {
  let i = from + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') i += 2;
    else if (ch === '"') return i + 1;
    else i++;
  }
  throw new AlipayError('malformed_response', 'unterminated string');
}

function endOfValue(text: string, from: number): number {
  const first = text[from];
  if (first === '"') return endOfString(text, from);
  if (first === '{' || first === '[') {
    let depth = 0;
    let i = from;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        i = endOfString(text, i);
        continue;
      }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new AlipayError('malformed_response', 'unterminated container');
  }
  let i = from;
  while (i < text.length && !/[\s,}\]]/.test(text[i] ?? '')) i++;
  return i;
}

export type ExtractedResponse = {
  /** `<method>_response` or `error_response`. */
  nodeName: string;
  /** Exact received text of the node: what the signature covers. */
  signedText: string;
  /** The node parsed from signedText (so fields come from the verified bytes). */
  node: Record<string, unknown>;
  sign: string | null;
  alipayCertSn: string | null;
};

export function responseNodeName(method: string): string {
  return `${method.replace(/\./g, '_')}_response`;
}

/** Finds the method's node (falling back to `error_response`) plus its `sign` / `alipay_cert_sn` siblings. */
export function extractResponse(body: string, method: string): ExtractedResponse {
  const members = splitTopLevel(body);
  const wanted = responseNodeName(method);
  const nodeName = members.has(wanted) ? wanted : members.has('error_response') ? 'error_response' : null;
  if (nodeName === null) {
    throw new AlipayError('malformed_response', `response has no ${wanted} node`);
  }
  const signedText = members.get(nodeName) ?? '';
  const node: unknown = JSON.parse(signedText);
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    throw new AlipayError('malformed_response', `${nodeName} is not an object`);
  }
  return {
    nodeName,
    signedText,
    node: node as Record<string, unknown>,
    sign: stringMember(members, 'sign'),
    alipayCertSn: stringMember(members, 'alipay_cert_sn'),
  };
}

function stringMember(members: Map<string, string>, key: string): string | null {
  const raw = members.get(key);
  if (raw === undefined) return null;
  const value: unknown = JSON.parse(raw);
  return typeof value === 'string' && value !== '' ? value : null;
}

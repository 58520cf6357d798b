// Loads the public Alipay vectors kept as test fixtures in test/fixtures/alipay-vectors (provenance in its README).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const vectorsDir = path.join(repoRoot, 'test', 'fixtures', 'alipay-vectors');

export type NotifyVector = { name: string; key: string; exclude: string[]; params: Record<string, string> };
export type Vectors = {
  notify: NotifyVector[];
  return_url: { name: string; key: string; exclude: string[]; query: string }[];
  responses: { name: string; key: string; method: string; raw: string }[];
  responses_reconstructed: { name: string; key: string; method: string; source: string; sign: string }[];
  cert_sn: { file: string; sn: string; root?: boolean }[];
  request_sign_selfmade: { key_private: string; key_public: string; content: string; sign: string };
};

export const vectors = JSON.parse(readFileSync(path.join(vectorsDir, 'vectors.json'), 'utf8')) as Vectors;

export function vectorFile(relative: string): string {
  return readFileSync(path.join(vectorsDir, relative), 'utf8');
}

/** Same text with the character at `index` replaced by a different one (one changed byte for ASCII). */
export function changeOneChar(text: string, index: number): string {
  const ch = text[index] ?? '';
  const replacement = ch === 'a' ? 'b' : ch === '0' ? '1' : 'a';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

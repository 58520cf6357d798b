import { AlipayError } from './errors.ts';

// Alipay's bill files and the names inside its zip are GBK. Node's TextDecoder knows GBK only when Node was
// built with full ICU (the official builds are); a Node without it gets a clear error instead of mojibake.
let decoder: TextDecoder | null = null;

/** Strict GBK → string: an invalid byte sequence is an error, never a replacement character. */
export function decodeGbk(bytes: Uint8Array): string {
  if (decoder === null) {
    try {
      decoder = new TextDecoder('gbk', { fatal: true });
    } catch {
      throw new AlipayError('malformed_bill', 'this Node has no GBK decoder (it was built without full ICU)');
    }
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new AlipayError('malformed_bill', 'text is not valid GBK');
  }
}

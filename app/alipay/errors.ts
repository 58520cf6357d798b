/**
 * The one error type this module throws. Callers branch on `code`, never on message text,
 * and the message never contains key material.
 */
export type AlipayErrorCode =
  | 'invalid_amount'
  | 'invalid_key'
  | 'invalid_certificate'
  | 'invalid_notify'
  | 'duplicate_param'
  | 'malformed_response'
  | 'invalid_argument'
  | 'malformed_bill'
  | 'bill_download';

export class AlipayError extends Error {
  readonly code: AlipayErrorCode;

  constructor(code: AlipayErrorCode, message: string) {
    super(message);
    this.name = 'AlipayError';
    this.code = code;
  }
}

export function isAlipayError(value: unknown): value is AlipayError {
  return value instanceof AlipayError;
}

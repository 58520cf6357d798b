// Public surface of the Alipay protocol module (a leaf: imports nothing else of the project).
export { AlipayError, isAlipayError } from './errors.ts';
export type { AlipayErrorCode } from './errors.ts';
export { fenToYuan, yuanToFen } from './money.ts';
export { loadPrivateKey, loadPublicKey } from './keys.ts';
export { certSn, rootCertSn } from './certs.ts';
export { buildSignContent, signContent, signParams, verifyContent } from './sign.ts';
export type { SignableParams } from './sign.ts';
export { alipayTimestamp, parseAlipayTimestamp } from './timestamp.ts';
export { extractResponse, responseNodeName, splitTopLevel } from './extract.ts';
export type { ExtractedResponse } from './extract.ts';
export {
  checkNotifyBusiness,
  classifyNotify,
  notifySignContent,
  parseNotifyBody,
  verifyNotify,
  withoutEmptyValues,
} from './notify.ts';
export type { NotifyBusinessCheck, NotifyBusinessExpectation, NotifyClass } from './notify.ts';
export { AlipayClient } from './client.ts';
export type { AlipayClientOptions } from './client.ts';
export type * from './outcome.ts';

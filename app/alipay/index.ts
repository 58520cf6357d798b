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
export { fetchTradeBill, BILL_NOT_EXIST } from './bill.ts';
export type { TradeBillOutcome } from './bill.ts';
export { downloadBill } from './bill-download.ts';
export type { BillDownloadOptions } from './bill-download.ts';
export { parseBillDetail, parseBillSummary, parseTradeBillZip } from './bill-parser.ts';
export type { BillRow, BillSummary, TradeBill } from './bill-parser.ts';
export { readZip } from './zip.ts';
export type { ZipEntry, ZipLimits } from './zip.ts';
export { crc32 } from './crc32.ts';
export { decodeGbk } from './gbk.ts';
export { lateRefundNo, undeliveredRefundNo } from './refund-numbers.ts';

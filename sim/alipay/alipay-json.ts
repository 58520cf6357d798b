import type { KeyObject } from 'node:crypto';
import { signContent } from '../../app/alipay/index.ts';

/** JSON the way Alipay emits it: `/` escaped as `\/` (valid JSON; only ever occurs inside strings). */
export function alipayJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

export type ResponseShape = {
  nodeName: string;
  node: Record<string, string>;
  /** false → gateway-level error sent with "sign":"" like the real error_response. */
  signed: boolean;
};

/** Serialises the node once and signs exactly the text that is sent. */
export function renderResponse(shape: ResponseShape, privateKey: KeyObject): string {
  const nodeText = alipayJson(shape.node);
  const sign = shape.signed ? signContent(nodeText, privateKey) : '';
  return `{"${shape.nodeName}":${nodeText},"sign":"${sign}"}`;
}

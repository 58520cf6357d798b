// The project's Alipay client pointed at a stack's alipay-sim with the stack's app keys: what the anchor
// kiosks and the tap → QR floor call precreate and query with.
import { AlipayClient, loadPrivateKey, loadPublicKey } from '../../app/alipay/index.ts';
import { STACK_APP_ID, type Stack } from '../../test/helpers/stack.ts';

export function stackAlipayClient(stack: Stack): AlipayClient {
  return new AlipayClient({
    gatewayUrl: `${stack.simUrl}/gateway.do`,
    appId: STACK_APP_ID,
    privateKey: loadPrivateKey(stack.appKeys.privateKeyPem),
    alipayPublicKey: loadPublicKey(stack.alipayKeys.publicKeyPem),
    retries: 0, // a benchmark measures one attempt; a failure is an error, not a retry
  });
}

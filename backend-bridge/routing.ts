// Which kiosk owns a notification: the kiosk agent allocates out_trade_no as `<kioskId>_<rest>`.

const KIOSK_ID = /^[A-Za-z0-9]{1,32}$/;

export function isValidKioskId(id: string): boolean {
  return KIOSK_ID.test(id);
}

/** The kiosk id prefix of an out_trade_no, or undefined when it does not follow `<kioskId>_<rest>`. */
export function kioskIdFromOutTradeNo(outTradeNo: string | undefined): string | undefined {
  if (outTradeNo === undefined) return undefined;
  const cut = outTradeNo.indexOf('_');
  if (cut <= 0 || cut === outTradeNo.length - 1) return undefined;
  const id = outTradeNo.slice(0, cut);
  return isValidKioskId(id) ? id : undefined;
}

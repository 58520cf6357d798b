import { fenToYuan } from '../../app/alipay/index.ts';
import type { SimTrade } from './trades.ts';

// The buyer's view in demo mode: what "scanning" the sim's qr_code URL shows on a phone.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function qrPage(trade: SimTrade, payable: boolean, message = ''): string {
  const amount = fenToYuan(trade.totalFen);
  const action = payable
    ? `<form method="post" action="/qr/${escapeHtml(trade.qrToken)}/pay"><button type="submit" id="pay">pay ¥${amount}</button></form>`
    : `<p id="state">${escapeHtml(trade.status === 'TRADE_SUCCESS' ? 'paid' : 'not payable')}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Alipay simulator — pay ¥${amount}</title></head>
<body style="font-family:sans-serif;text-align:center;padding:2em">
<p>Alipay simulator (no real money)</p>
<h1>¥${amount}</h1>
<p>${escapeHtml(trade.subject)}</p>
${message ? `<p id="message">${escapeHtml(message)}</p>` : ''}
${action}
</body></html>`;
}

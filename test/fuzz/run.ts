// `npm run fuzz [iterations]`: the long fuzz runs (`npm test` runs each briefly). Exits non-zero on the first
// input that makes a parser throw anything but its module's typed errors.
import { runAlipayNotifyFuzz } from './alipay-notify.fuzz.ts';

const iterations = Number(process.argv[2] ?? 200_000);
const alipay = runAlipayNotifyFuzz(iterations);
console.log(`alipay notify/response: ${JSON.stringify(alipay)}`);

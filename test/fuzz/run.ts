// `npm run fuzz [iterations]`: the long fuzz runs (`npm test` runs each briefly). Exits non-zero on the first
// input that makes a parser throw anything but its module's typed errors, or yields a frame it should not.
import { runAlipayBillFuzz } from './alipay-bill.fuzz.ts';
import { runAlipayNotifyFuzz } from './alipay-notify.fuzz.ts';
import { assertRelayFuzzHeld, runRelayHttpFuzz } from './relay-http.fuzz.ts';

const iterations = Number(process.argv[2] ?? 200_000);
const alipay = runAlipayNotifyFuzz(iterations);
console.log(`alipay notify/response: ${JSON.stringify(alipay)}`);
console.log(
  `alipay trade bill: ${JSON.stringify(runAlipayBillFuzz(Math.max(1000, Math.floor(iterations / 10))))}`,
);

// Raw HTTP against a running relay process: at least 100,000 requests; `npm run fuzz -- N SEED` replays.
const seedArg = process.argv[3];
const relayRequests = Math.max(100_000, Math.floor(iterations / 2));
const relaySeed = seedArg !== undefined ? Number(seedArg) : Date.now() % 2 ** 31;
console.log(`relay http: ${relayRequests} requests, seed ${relaySeed}`);
const relay = await runRelayHttpFuzz(relayRequests, relaySeed);
console.log(`relay http: ${JSON.stringify(relay)}`);
assertRelayFuzzHeld(relay);

// The 0xFA 0xFB frame codec's fuzz suite, with many more rounds than `npm test` gives it.
const { spawnSync } = await import('node:child_process');
const fafb = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/fuzz/fafb-frame.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, FAFB_FUZZ_ROUNDS: String(Math.max(400, Math.floor(iterations / 10))) },
});
if (fafb.status !== 0) process.exit(fafb.status ?? 1);

// The raw-HTTP fuzz of a running kiosk-agent's browser host: at least 100,000 requests, then a sale.
const browserHost = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', 'test/fuzz/browser-host.test.ts'],
  {
    stdio: 'inherit',
    env: { ...process.env, BROWSER_HOST_FUZZ_REQUESTS: String(Math.max(100_000, iterations / 2)) },
  },
);
if (browserHost.status !== 0) process.exit(browserHost.status ?? 1);

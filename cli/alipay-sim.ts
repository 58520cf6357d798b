// alipay-sim: the Alipay gateway simulator as a program (demo mode and tests).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPrivateKey, loadPublicKey } from '../app/alipay/index.ts';
import { startAlipaySim } from '../sim/alipay/index.ts';

const HELP = `alipay-sim — simulated Alipay OpenAPI gateway (POST /gateway.do) with test controls under /sim/*

Usage:
  alipay-sim --app-id ID --app-public-key FILE --private-key FILE [options]

Required:
  --app-id ID              the merchant app_id requests must carry
  --app-public-key FILE    the app's public key (PEM, bare base64 or certificate): verifies requests
  --private-key FILE       the simulator's "Alipay" private key: signs responses and notifies
                           (give the kiosk/relay its public half as the Alipay public key)
Options:
  --host HOST              listen address (default 127.0.0.1)
  --port N                 listen port (default 0 = any free port)
  --public-base-url URL    base of qr_code URLs when reached through another address
  --time-scale N           speed up timeout_express and the notify retry schedule N times (default 1)
  --seller-id ID           seller_id put into notifies (default 2088000000000001)
  --help                   this text

Prints {"ready":true,"url":"http://HOST:PORT"} on stdout once listening. SIGTERM/SIGINT close cleanly.
Controls: GET /sim/trades, /sim/ledger, /sim/requests, /sim/notifies; POST /sim/pay, /sim/scan {"qrCode"|"outTradeNo"};
POST /sim/faults {latencyMs, serviceUnavailableNext, systemErrorNext, dropResponseNext, tamperSignatureNext,
unsignedNext, processBeforeError, methods, notify: normal|delay|duplicate|never, notifyDelayMs, reset}.
`;

function fail(message: string): never {
  process.stderr.write(`alipay-sim: ${message}\n(see --help)\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '0' },
        'app-id': { type: 'string' },
        'app-public-key': { type: 'string' },
        'private-key': { type: 'string' },
        'public-base-url': { type: 'string' },
        'time-scale': { type: 'string', default: '1' },
        'seller-id': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : 'bad arguments');
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const appId = values['app-id'];
  const appKeyFile = values['app-public-key'];
  const privateKeyFile = values['private-key'];
  if (!appId || !appKeyFile || !privateKeyFile)
    fail('--app-id, --app-public-key and --private-key are required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0–65535');
  const timeScale = Number(values['time-scale']);
  if (!Number.isFinite(timeScale) || timeScale <= 0) fail('--time-scale must be a positive number');

  let appPublicKey;
  let privateKey;
  try {
    appPublicKey = loadPublicKey(readFileSync(appKeyFile, 'utf8'));
    privateKey = loadPrivateKey(readFileSync(privateKeyFile, 'utf8'));
  } catch (err) {
    // The message names the problem, never the key material.
    fail(`cannot load keys: ${err instanceof Error ? err.message : 'unknown error'}`);
  }

  const sim = await startAlipaySim({
    host: values.host,
    port,
    appId,
    appPublicKey,
    privateKey,
    timeScale,
    ...(values['public-base-url'] ? { publicBaseUrl: values['public-base-url'] } : {}),
    ...(values['seller-id'] ? { sellerId: values['seller-id'] } : {}),
  });
  process.stdout.write(`${JSON.stringify({ ready: true, url: sim.url })}\n`);

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

await main();

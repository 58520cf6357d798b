// Fuzzes the Alipay parsers: random and mutated notify bodies through parse/verify/classify/business
// checks, random bytes through the response extractor. The only acceptable exception is AlipayError.
// Short run: alipay-notify.test.ts. Long run: `node --import tsx test/fuzz/alipay-notify.fuzz.ts [iterations]`.
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  AlipayError,
  checkNotifyBusiness,
  classifyNotify,
  extractResponse,
  notifySignContent,
  parseNotifyBody,
  signContent,
  verifyNotify,
} from '../../app/alipay/index.ts';

const PIECES = [
  '&',
  '=',
  '+',
  '%',
  '%2',
  '%E6%B5',
  '%ZZ',
  '%00',
  'sign=',
  'sign_type=RSA2',
  'total_amount=',
  '0.01',
  '测试',
  '😀',
  '\ud800',
  '__proto__',
  'constructor',
  '"',
  '{',
  '}',
  '\\',
  '\n',
];
const JSON_PIECES = [
  '{',
  '}',
  '[',
  ']',
  '"',
  '\\',
  '\\"',
  ':',
  ',',
  'alipay_trade_query_response',
  'error_response',
  'sign',
  '"sign":"QQ=="',
  'null',
  '1e999',
  ' ',
  '\\u0000',
];

export type FuzzStats = { iterations: number; typedErrors: number; verified: number };

function mutate(text: string): string {
  const chars = [...text];
  const edits = 1 + randomInt(4);
  for (let e = 0; e < edits; e++) {
    const at = randomInt(chars.length + 1);
    const op = randomInt(3);
    if (op === 0) chars.splice(at, 1);
    else if (op === 1) chars.splice(at, 0, PIECES[randomInt(PIECES.length)] ?? '');
    else chars.splice(at, 0, String.fromCharCode(randomInt(0x10000)));
  }
  return chars.join('');
}

function randomBody(pieces: readonly string[]): string {
  let s = '';
  const n = randomInt(40);
  for (let i = 0; i < n; i++)
    s +=
      randomInt(3) === 0
        ? randomBytes(randomInt(6)).toString('latin1')
        : (pieces[randomInt(pieces.length)] ?? '');
  return s;
}

function expectTyped(fn: () => void, stats: FuzzStats, input: string): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof AlipayError) {
      stats.typedErrors++;
      return;
    }
    throw new Error(`untyped exception ${String(err)} for input ${JSON.stringify(input.slice(0, 300))}`);
  }
}

export function runAlipayNotifyFuzz(iterations: number): FuzzStats {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const base: Record<string, string> = {
    notify_type: 'trade_status_sync',
    app_id: '2021',
    out_trade_no: 'K1-1',
    trade_no: '2024',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '1.00',
    subject: 'a+b 测试 & = %',
    sign_type: 'RSA2',
  };
  base.sign = signContent(notifySignContent(base), keys.privateKey);
  const validBody = new URLSearchParams(base).toString();
  const validResponse =
    '{"alipay_trade_query_response":{"code":"10000","msg":"Success","qr_code":"https:\\/\\/x"},"sign":"QQ=="}';
  const stats: FuzzStats = { iterations, typedErrors: 0, verified: 0 };
  for (let i = 0; i < iterations; i++) {
    const body = i % 2 === 0 ? mutate(validBody) : randomBody(PIECES);
    expectTyped(
      () => {
        const params = parseNotifyBody(body);
        if (verifyNotify(params, keys.publicKey)) {
          stats.verified++;
          // A mutation that still verifies must not have changed the signed content.
          if (notifySignContent(params) !== notifySignContent(base))
            throw new Error('forged notify verified');
        }
        classifyNotify(params);
        checkNotifyBusiness(params, { appId: '2021', order: { outTradeNo: 'K1-1', totalFen: 100 } });
      },
      stats,
      body,
    );
    const raw = i % 2 === 0 ? mutate(validResponse) : randomBody(JSON_PIECES);
    expectTyped(() => void extractResponse(raw, 'alipay.trade.query'), stats, raw);
  }
  return stats;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const iterations = Number(process.argv[2] ?? 200_000);
  const started = Date.now();
  const stats = runAlipayNotifyFuzz(iterations);
  console.log(JSON.stringify({ ...stats, ms: Date.now() - started }));
}

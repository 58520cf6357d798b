// Fuzzes the trade bill reader: random bytes, spliced and bit-flipped archives through readZip and
// parseTradeBillZip, and mutated detail files (cells replaced by hostile values, lines cut) through
// parseBillDetail. The only acceptable exception is AlipayError; whatever parses has sane integer fen.
// Short run: alipay-bill.test.ts. Long run: `npm run fuzz`, or `node --import tsx test/fuzz/alipay-bill.fuzz.ts [iterations]`.
import { randomBytes, randomInt } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { AlipayError, parseBillDetail, parseTradeBillZip } from '../../app/alipay/index.ts';
import { encodeGbk } from '../../sim/alipay/gbk-encode.ts';
import { writeZip } from '../../sim/alipay/zip-writer.ts';
import { PUBLIC_LAYOUT_DETAIL, PUBLIC_LAYOUT_SUMMARY } from '../app/alipay/fixtures/public-bill-sample.ts';

const CELLS = [
  '',
  '-',
  '0.0',
  '1.234',
  '-0.01',
  '交易',
  '退款',
  '"',
  '""',
  ',',
  '#',
  '\t',
  '`12',
  'x',
  '9'.repeat(25),
];

export type BillFuzzStats = { iterations: number; parsed: number; typedErrors: number };

function archive(detail: string): Buffer {
  return writeZip([
    { name: encodeGbk('a_业务明细.csv'), data: encodeGbk(detail) },
    { name: encodeGbk('a_业务明细(汇总).csv'), data: encodeGbk(PUBLIC_LAYOUT_SUMMARY) },
  ]);
}

function mutateText(lines: readonly string[]): string {
  const copy = [...lines];
  const at = randomInt(copy.length);
  const line = copy[at] ?? '';
  if (randomInt(7) === 0) {
    copy[at] = line.slice(0, randomInt(line.length + 1));
  } else {
    const cells = line.split(',');
    cells[randomInt(cells.length)] = CELLS[randomInt(CELLS.length)] ?? '';
    copy[at] = cells.join(',');
  }
  return copy.join('\n');
}

function mutateBytes(zip: Buffer): Buffer {
  const cut = randomInt(zip.length);
  switch (randomInt(4)) {
    case 0:
      return randomBytes(randomInt(300));
    case 1:
      return Buffer.concat([randomBytes(randomInt(40)), zip.subarray(cut)]);
    case 2:
      return Buffer.concat([zip.subarray(0, cut), randomBytes(randomInt(40)), zip.subarray(cut)]);
    default: {
      const copy = Buffer.from(zip);
      for (let n = randomInt(1, 4); n > 0; n--) copy[randomInt(copy.length)] = randomInt(256);
      return copy;
    }
  }
}

export function runAlipayBillFuzz(iterations: number): BillFuzzStats {
  const lines = PUBLIC_LAYOUT_DETAIL.split('\n');
  const zip = archive(PUBLIC_LAYOUT_DETAIL);
  const stats: BillFuzzStats = { iterations: 0, parsed: 0, typedErrors: 0 };
  for (let i = 0; i < iterations; i++) {
    stats.iterations++;
    try {
      const rows =
        i % 2 === 0 ? parseBillDetail(mutateText(lines)).rows : parseTradeBillZip(mutateBytes(zip)).rows;
      for (const row of rows) {
        if (
          !Number.isSafeInteger(row.amountFen) ||
          row.amountFen < 0 ||
          !Number.isSafeInteger(row.receiptFen)
        ) {
          throw new Error(`input ${i}: a row with amount ${row.amountFen}`);
        }
      }
      stats.parsed++;
    } catch (err) {
      if (!(err instanceof AlipayError)) throw err;
      stats.typedErrors++;
    }
  }
  return stats;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(runAlipayBillFuzz(Number(process.argv[2] ?? 100_000))));
}

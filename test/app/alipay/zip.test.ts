import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { crc32, isAlipayError, readZip } from '../../../app/alipay/index.ts';
import { encodeGbk } from '../../../sim/alipay/gbk-encode.ts';
import { writeZip } from '../../../sim/alipay/zip-writer.ts';

const detail = Buffer.from('#支付宝业务明细查询\r\n'.repeat(200), 'utf8');
const sample = writeZip([
  { name: encodeGbk('20880000000000010156_20261129_业务明细.csv'), data: detail },
  { name: Buffer.from('summary.csv'), data: Buffer.from('x,y\r\n') },
]);

function refusal(bytes: Uint8Array, limits?: Parameters<typeof readZip>[1]): string {
  try {
    readZip(bytes, limits);
  } catch (err) {
    assert.ok(isAlipayError(err), `only AlipayError, got ${String(err)}`);
    assert.equal(err.code, 'malformed_bill');
    return err.message;
  }
  return assert.fail('accepted');
}

describe('zip reader', () => {
  test('reads deflated entries back byte for byte, GBK names decoded', () => {
    const entries = readZip(sample);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['20880000000000010156_20261129_业务明细.csv', 'summary.csv'],
    );
    assert.deepEqual(entries[0]?.data, detail);
  });

  test('CRC-32 matches the standard check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  test('every truncation of the archive is refused with a clear error', () => {
    for (let length = 0; length < sample.length; length++) {
      const message = refusal(sample.subarray(0, length));
      assert.match(message, /^zip: /);
    }
  });

  test('a flipped byte anywhere is refused or still yields the exact entries (never wrong data)', () => {
    for (let at = 0; at < sample.length; at++) {
      const copy = Buffer.from(sample);
      copy[at] = (copy[at] ?? 0) ^ 0x55;
      try {
        const entries = readZip(copy);
        // Only bytes nothing reads (version fields, timestamps) may change without an error.
        assert.deepEqual(entries[0]?.data, detail);
      } catch (err) {
        assert.ok(isAlipayError(err), `byte ${at}: ${String(err)}`);
      }
    }
  });

  test('a deflate bomb is stopped at its declared size, never inflated in full', () => {
    const bomb = Buffer.alloc(50 * 1024 * 1024);
    const zip = writeZip([{ name: Buffer.from('a.csv'), data: Buffer.from('tiny') }]);
    // Put 50 MiB of zeros (a few KiB deflated) where the 4-byte entry was, keep the declared size of 4.
    const compressed = deflateRawSync(bomb);
    const head = zip.subarray(0, 30 + 5);
    const central = Buffer.from(zip.subarray(zip.length - 22 - 46 - 5, zip.length - 22));
    central.writeUInt32LE(compressed.length, 20);
    const local = Buffer.from(head);
    local.writeUInt32LE(compressed.length, 18);
    const end = Buffer.from(zip.subarray(zip.length - 22));
    end.writeUInt32LE(local.length + compressed.length, 16);
    const crafted = Buffer.concat([local, compressed, central, end]);
    assert.match(refusal(crafted), /inflates past its declared size/);
  });

  test('limits, encryption, unknown methods and duplicates are refused by name', () => {
    assert.match(refusal(sample, { maxEntries: 1 }), /2 entries, more than the 1 accepted/);
    assert.match(refusal(sample, { maxEntryBytes: 100 }), /more than the 100 accepted/);
    assert.match(refusal(sample, { maxTotalBytes: detail.length }), /add up to more than/);
    const cdStart =
      sample.length - 22 - (46 + encodeGbk('20880000000000010156_20261129_业务明细.csv').length) - (46 + 11);
    const encrypted = Buffer.from(sample);
    encrypted.writeUInt16LE(1, cdStart + 8);
    assert.match(refusal(encrypted), /encrypted/);
    const stored = Buffer.from(sample);
    stored.writeUInt16LE(12, cdStart + 10);
    assert.match(refusal(stored), /compression method 12/);
    const twice = writeZip([
      { name: Buffer.from('a.csv'), data: Buffer.from('1') },
      { name: Buffer.from('a.csv'), data: Buffer.from('2') },
    ]);
    assert.match(refusal(twice), /duplicate entry a.csv/);
    assert.match(refusal(Buffer.from('<html>expired</html>'.repeat(3))), /no end-of-central-directory/);
  });
});

import { inflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.ts';
import { AlipayError } from './errors.ts';
import { decodeGbk } from './gbk.ts';

// A deliberately small zip reader for Alipay's bill archive: the central directory is read from the end,
// every offset and size is checked against the buffer before it is used, only stored and deflated entries
// are accepted, each entry's inflated size is capped before inflating, and its CRC-32 must match. Anything
// else (truncated, encrypted, zip64, spanned, overlapping, oversized) is refused with a clear error.

export type ZipEntry = { name: string; data: Buffer };

export type ZipLimits = {
  /** Most entries accepted (Alipay's trade bill has two). Default 16. */
  maxEntries?: number;
  /** Largest inflated size of one entry. Default 64 MiB. */
  maxEntryBytes?: number;
  /** Largest inflated size of all entries together. Default 128 MiB. */
  maxTotalBytes?: number;
};

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8 = 0x0800;

function fail(message: string): never {
  throw new AlipayError('malformed_bill', `zip: ${message}`);
}

/** Bounds-checked little-endian reads: a field past the end is "truncated", never an exception from Buffer. */
function u16(buf: Buffer, at: number): number {
  if (at < 0 || at + 2 > buf.length) fail('truncated');
  return buf.readUInt16LE(at);
}
function u32(buf: Buffer, at: number): number {
  if (at < 0 || at + 4 > buf.length) fail('truncated');
  return buf.readUInt32LE(at);
}
function slice(buf: Buffer, at: number, length: number): Buffer {
  if (at < 0 || length < 0 || at + length > buf.length) fail('truncated');
  return buf.subarray(at, at + length);
}

function findEndOfCentralDirectory(buf: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, so it starts in the last 65557 bytes.
  const earliest = Math.max(0, buf.length - EOCD_SIZE - 0xffff);
  for (let at = buf.length - EOCD_SIZE; at >= earliest; at--) {
    if (buf.readUInt32LE(at) === EOCD_SIG && at + EOCD_SIZE + buf.readUInt16LE(at + 20) === buf.length)
      return at;
  }
  return fail('no end-of-central-directory record (not a zip, or truncated)');
}

function entryName(raw: Buffer, flags: number): string {
  if (flags & FLAG_UTF8) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return fail('entry name is not valid UTF-8');
    }
  }
  // Without the UTF-8 flag Alipay's names (…_业务明细.csv) are GBK.
  try {
    return decodeGbk(raw);
  } catch {
    return fail('entry name is not valid GBK');
  }
}

export function readZip(input: Uint8Array, limits: ZipLimits = {}): ZipEntry[] {
  const maxEntries = limits.maxEntries ?? 16;
  const maxEntryBytes = limits.maxEntryBytes ?? 64 * 1024 * 1024;
  const maxTotalBytes = limits.maxTotalBytes ?? 128 * 1024 * 1024;
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < EOCD_SIZE) fail('too short to be a zip');

  const eocd = findEndOfCentralDirectory(buf);
  const disk = u16(buf, eocd + 4);
  const cdDisk = u16(buf, eocd + 6);
  const entriesOnDisk = u16(buf, eocd + 8);
  const entryCount = u16(buf, eocd + 10);
  const cdSize = u32(buf, eocd + 12);
  const cdOffset = u32(buf, eocd + 16);
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) fail('spanned archives are not supported');
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    fail('zip64 is not supported');
  if (entryCount === 0) fail('archive is empty');
  if (entryCount > maxEntries) fail(`${entryCount} entries, more than the ${maxEntries} accepted`);
  if (cdOffset + cdSize > eocd) fail('central directory overlaps its end record (truncated?)');

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < entryCount; i++) {
    if (at + CENTRAL_SIZE > cdOffset + cdSize) fail('central directory shorter than its entry count');
    if (u32(buf, at) !== CENTRAL_SIG) fail(`central directory entry ${i + 1} has a bad signature`);
    const flags = u16(buf, at + 8);
    const method = u16(buf, at + 10);
    const crc = u32(buf, at + 16);
    const compressedSize = u32(buf, at + 20);
    const size = u32(buf, at + 24);
    const nameLength = u16(buf, at + 28);
    const extraLength = u16(buf, at + 30);
    const commentLength = u16(buf, at + 32);
    const localOffset = u32(buf, at + 42);
    const name = entryName(slice(buf, at + CENTRAL_SIZE, nameLength), flags);
    at += CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (at > cdOffset + cdSize) fail('central directory entry runs past the directory');

    if (flags & FLAG_ENCRYPTED) fail(`${name}: encrypted entries are not supported`);
    if (method !== 0 && method !== 8) fail(`${name}: compression method ${method} is not supported`);
    if (compressedSize === 0xffffffff || size === 0xffffffff) fail('zip64 is not supported');
    if (names.has(name)) fail(`duplicate entry ${name}`);
    names.add(name);
    if (name.endsWith('/')) continue; // a directory
    if (size > maxEntryBytes) fail(`${name}: ${size} bytes, more than the ${maxEntryBytes} accepted`);
    total += size;
    if (total > maxTotalBytes) fail(`entries add up to more than the ${maxTotalBytes} bytes accepted`);

    if (u32(buf, localOffset) !== LOCAL_SIG) fail(`${name}: local header missing (truncated?)`);
    const dataStart = localOffset + LOCAL_SIZE + u16(buf, localOffset + 26) + u16(buf, localOffset + 28);
    // The data must lie before the central directory: anything else is a truncated or crafted archive.
    if (dataStart + compressedSize > cdOffset)
      fail(`${name}: data runs into the central directory (truncated?)`);
    const raw = slice(buf, dataStart, compressedSize);
    const data = method === 0 ? Buffer.from(raw) : inflate(raw, size, name);
    if (data.length !== size) fail(`${name}: ${data.length} bytes inflated, ${size} declared`);
    if (crc32(data) !== crc) fail(`${name}: CRC mismatch (corrupted or truncated)`);
    entries.push({ name, data });
  }
  return entries;
}

function inflate(raw: Buffer, size: number, name: string): Buffer {
  try {
    // One byte more than declared: a larger output is caught by the size check, never allocated unbounded.
    return inflateRawSync(raw, { maxOutputLength: size + 1 });
  } catch (err) {
    const why = err instanceof Error ? err.message : 'inflate failed';
    return fail(
      `${name}: ${/buffer|larger/i.test(why) ? 'inflates past its declared size' : 'bad deflate data'}`,
    );
  }
}

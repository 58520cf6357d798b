import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../app/alipay/index.ts';

// Writes a plain zip (deflated entries, no zip64), the kind Alipay's bill archive is. Names are written as
// given; without the UTF-8 flag a reader takes them as the local code page (GBK for Alipay's files).
export type ZipInput = { name: Buffer; data: Buffer; utf8Name?: boolean };

export function writeZip(entries: readonly ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const compressed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const flags = entry.utf8Name ? 0x0800 : 0;
    // Both headers carry the same run of fields (flags … name length); only where it starts differs.
    const fields = (header: Buffer, at: number): void => {
      header.writeUInt16LE(flags, at);
      header.writeUInt16LE(8, at + 2); // deflate
      header.writeUInt32LE(crc, at + 8);
      header.writeUInt32LE(compressed.length, at + 12);
      header.writeUInt32LE(entry.data.length, at + 16);
      header.writeUInt16LE(entry.name.length, at + 20);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    fields(local, 6);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    fields(central, 8);
    central.writeUInt32LE(offset, 42);
    locals.push(local, entry.name, compressed);
    centrals.push(central, entry.name);
    offset += local.length + entry.name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

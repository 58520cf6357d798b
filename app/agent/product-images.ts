// Product pictures: image files named in the planogram (`image`, next to the configuration), checked and
// turned into data: URLs once at start, so both hosts show them with no file route and the page's CSP
// (`img-src 'self' data:`) holds. A picture that is missing or wrong never stops a sale: the agent logs it
// and the screen draws its fallback tile; `--check-config` reports it as a problem.
import fs from 'node:fs';
import path from 'node:path';

/** Large enough for a 600×600 product photo, small enough to send with the catalog. */
export const MAX_IMAGE_BYTES = 256 * 1024;

const KINDS: ReadonlyArray<{ mime: string; ext: readonly string[]; magic: (b: Buffer) => boolean }> = [
  {
    mime: 'image/png',
    ext: ['.png'],
    magic: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  {
    mime: 'image/jpeg',
    ext: ['.jpg', '.jpeg'],
    magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  },
  {
    mime: 'image/webp',
    ext: ['.webp'],
    magic: (b) =>
      b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
];

/** The picture as a data: URL, or why it cannot be used. */
export function loadProductImage(file: string): { dataUrl: string } | { problem: string } {
  const kind = KINDS.find((k) => k.ext.includes(path.extname(file).toLowerCase()));
  if (kind === undefined) return { problem: `${file}: a product picture must be .png, .jpg or .webp` };
  let bytes: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_IMAGE_BYTES)
      return { problem: `${file}: ${size} bytes; a product picture may have at most ${MAX_IMAGE_BYTES}` };
    bytes = fs.readFileSync(file);
  } catch (err) {
    return { problem: `${file}: cannot read the product picture: ${(err as Error).message}` };
  }
  if (!kind.magic(bytes)) return { problem: `${file}: the file is not an ${kind.mime} picture` };
  return { dataUrl: `data:${kind.mime};base64,${bytes.toString('base64')}` };
}

/** productId → data URL for every usable picture of the planogram; each unusable one is reported. */
export function loadProductImages(
  planogram: ReadonlyArray<{ productId: string; image?: string | undefined }>,
  report: (problem: string) => void,
): Map<string, string> {
  const images = new Map<string, string>();
  for (const lane of planogram) {
    if (lane.image === undefined || images.has(lane.productId)) continue;
    const loaded = loadProductImage(lane.image);
    if ('dataUrl' in loaded) images.set(lane.productId, loaded.dataUrl);
    else report(loaded.problem);
  }
  return images;
}

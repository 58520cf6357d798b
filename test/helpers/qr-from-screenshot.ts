// Reads a QR code back from pixels, the way a customer's phone would from the screen.
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

// jsqr is CommonJS whose typings declare an ES default export; under NodeNext the callable is the module itself.
const jsQR = jsQRModule as unknown as (typeof jsQRModule)['default'];

export function decodeQrPng(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return jsQR(pixels, image.width, image.height)?.data ?? null;
}

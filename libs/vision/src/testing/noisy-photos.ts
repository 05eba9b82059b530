import sharp from 'sharp';

/**
 * A noisy JPEG mostly of one colour, with a darker diagonal bar: photos a small model can tell
 * apart by colour, each one different (`seed`), for tests that train or classify.
 */
export async function noisyPhoto(
  rgb: readonly [number, number, number],
  seed: number,
  size: { readonly width: number; readonly height: number } = { width: 64, height: 48 },
): Promise<Buffer> {
  const { width, height } = size;
  const raw = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    const bar = Math.abs(x - y - 8) < 4 ? 0.5 : 1;
    for (let c = 0; c < 3; c++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      raw[i * 3 + c] = Math.max(0, Math.min(255, rgb[c]! * bar + ((s / 2147483648) * 40 - 20)));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

import sharp from 'sharp';

/** Pixels a photo is made of, around its colour. */
const COLOURS = { red: [245, 12, 12], blue: [12, 12, 245] } as const;

/**
 * A real JPEG of noise around one colour, different for each seed. The tiny model of the tests
 * (`writeTinyModel` with labels good and kink) calls a blue photo good and a red one kink, with
 * a confidence of about 0.65 for kink and 0.8 for good (the mean colour decides).
 */
export async function colouredPhoto(
  colour: keyof typeof COLOURS,
  seed: number,
  width = 320,
  height = 240,
): Promise<Buffer> {
  const base = COLOURS[colour];
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < pixels.length; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    pixels[index] = Math.max(0, Math.min(255, base[index % 3]! + ((state >>> 16) % 21) - 10));
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

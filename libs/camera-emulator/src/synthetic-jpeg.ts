import { SeededRandom } from './seeded-random.js';

/** Start of image, and the APP0 "JFIF" segment that follows it in the camera's files. */
const JPEG_HEAD = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
  0x00, 0x00,
]);

/** End of image. */
const JPEG_TAIL = Buffer.from([0xff, 0xd9]);

/**
 * A deterministic stand-in for a camera JPEG of exactly `size` bytes: the JPEG start and end
 * markers around seeded pseudo-random bytes (not a decodable picture). The same size and seed give
 * the same bytes, so a test can compare what was stored with what was sent.
 *
 * @throws RangeError when `size` cannot hold the markers.
 */
export function syntheticJpeg(size: number, seed = size): Buffer {
  const minimum = JPEG_HEAD.length + JPEG_TAIL.length;
  if (!Number.isSafeInteger(size) || size < minimum) {
    throw new RangeError(`a synthetic JPEG has at least ${minimum} bytes, got ${String(size)}`);
  }
  const body = new SeededRandom(seed).bytes(size - minimum);
  return Buffer.concat([JPEG_HEAD, body, JPEG_TAIL], size);
}

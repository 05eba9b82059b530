import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

import { UndecodableImageError } from './errors.js';
import { preprocessImage, PreprocessedImage } from './preprocess.js';
import { solidPng } from './testing/tiny-models.js';

/** A real ESP32-CAM frame (XGA 1024x768, 4:2:0 JPEG); the path works from src/ and from dist/. */
const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/esp32cam-xga.jpg', import.meta.url));
const RGB = { channels: 3 } as const;

function pixel(image: PreprocessedImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * image.channels;
  return Array.from(image.data.subarray(i, i + image.channels));
}

/** 0-255 value back from the Teachable Machine scaling (x / 127 - 1). */
const unscale = (v: number) => (v + 1) * 127;

describe('preprocessImage', () => {
  describe('on the ESP32-CAM fixture', () => {
    it('centre-crops without resampling when the input is the frame height (768): exact decoded pixels', async () => {
      const image = await preprocessImage(await readFile(FIXTURE), {
        size: { width: 768, height: 768, ...RGB },
      });
      assert.equal(image.data.length, 768 * 768 * 3);
      // Expected values come from an independent decoder: libjpeg-turbo 2.1.5's `djpeg -ppm` (default
      // islow IDCT and fancy upsampling) decoded the fixture to a PPM once; numpy read the RGB bytes at
      // column x + 128 (the crop offset (1024 - 768) / 2) and row y; each is x / 127 - 1.
      const expected: [number, number, number[]][] = [
        [0, 0, [151, 152, 146]],
        [383, 383, [110, 130, 137]],
        [767, 767, [151, 150, 129]],
        [100, 500, [149, 185, 199]],
        [600, 150, [159, 146, 130]],
      ];
      for (const [x, y, rgb] of expected) {
        assert.deepEqual(
          pixel(image, x, y),
          rgb.map((v) => Math.fround(v / 127 - 1)),
          `pixel (${x}, ${y})`,
        );
      }
    });

    it('defaults to the Teachable Machine input: 224x224x3 in [-1, 255 / 127 - 1], close to a box filter', async () => {
      const image = await preprocessImage(await readFile(FIXTURE), {
        size: { width: 224, height: 224, ...RGB },
      });
      assert.deepEqual([image.width, image.height, image.channels], [224, 224, 3]);
      assert.equal(image.data.length, 224 * 224 * 3);
      let min = Infinity;
      let max = -Infinity;
      for (const v of image.data) [min, max] = [Math.min(min, v), Math.max(max, v)];
      assert.ok(min >= -1 && max <= 255 / 127 - 1 + 1e-6, `range [${min}, ${max}]`);
      assert.ok(max - min > 1.5, 'a real photo spans most of the range');
      // Expected 0-255 values: the djpeg-decoded centre square (columns 128..895) averaged with an
      // exact-area box filter over each output pixel's 768/224 footprint (numpy, once). sharp resamples
      // with another kernel (lanczos3 after shrink-on-load), so allow 3 levels.
      const expected: [number, number, number[]][] = [
        [0, 0, [149.33, 150.33, 143.95]],
        [112, 112, [106.0, 131.0, 135.71]],
        [223, 223, [149.75, 148.75, 127.75]],
        [30, 180, [117.43, 151.43, 160.43]],
        [175, 40, [156.12, 142.13, 131.12]],
      ];
      for (const [x, y, rgb] of expected) {
        pixel(image, x, y).forEach((v, c) =>
          assert.ok(
            Math.abs(unscale(v) - rgb[c]) <= 3,
            `pixel (${x}, ${y}) channel ${c}: ${unscale(v)} vs ${rgb[c]}`,
          ),
        );
      }
    });
  });

  describe('geometry and scaling', () => {
    /** 60x20: red columns 0-19, green 20-39, blue 40-59. */
    async function stripes(): Promise<Buffer> {
      const raw = Buffer.alloc(60 * 20 * 3);
      for (let y = 0; y < 20; y++) {
        for (let x = 0; x < 60; x++) raw[(y * 60 + x) * 3 + Math.floor(x / 20)] = 255;
      }
      return sharp(raw, { raw: { width: 60, height: 20, channels: 3 } })
        .png()
        .toBuffer();
    }

    it('centre crop keeps only the middle of a wide frame', async () => {
      const image = await preprocessImage(await stripes(), { size: { width: 10, height: 10, ...RGB } });
      // The crop is taken after the shrink (so that JPEGs shrink while decoding): the resampling
      // kernel rings by a level or two, and lets a trace of what lies just outside the crop into
      // its edge pixels, no more.
      for (let x = 0; x < 10; x++) {
        const [red, green, blue] = pixel(image, x, 5);
        const tolerance = x >= 2 && x < 8 ? 2 / 127 : 0.25;
        assert.ok(
          green! > 1 - tolerance && red! < -1 + tolerance && blue! < -1 + tolerance,
          `x = ${x}: ${pixel(image, x, 5).join(', ')}`,
        );
      }
    });

    it('stretch keeps the whole frame', async () => {
      const image = await preprocessImage(await stripes(), {
        size: { width: 30, height: 10, ...RGB },
        preprocessing: { crop: 'stretch', scaling: { divisor: 255, offset: 0 } },
      });
      assert.deepEqual(pixel(image, 2, 5), [1, 0, 0]);
      assert.deepEqual(pixel(image, 15, 5), [0, 1, 0]);
      assert.deepEqual(pixel(image, 27, 5), [0, 0, 1]);
    });

    it('applies the scaling from metadata and drops alpha', async () => {
      const png = await sharp({
        create: { width: 8, height: 8, channels: 4, background: { r: 51, g: 102, b: 204, alpha: 1 } },
      })
        .png()
        .toBuffer();
      const image = await preprocessImage(png, {
        size: { width: 4, height: 4, ...RGB },
        preprocessing: { crop: 'centre', scaling: { divisor: 255, offset: 0 } },
      });
      assert.equal(image.data.length, 4 * 4 * 3);
      assert.deepEqual(pixel(image, 1, 1), [0.2, 0.4, 0.8].map(Math.fround));
    });

    it('honours EXIF orientation before cropping', async () => {
      // Stored 60x20 (red, green, blue thirds) with orientation 6: displayed 20x60, red on top.
      const rotated = await sharp(await stripes())
        .withMetadata({ orientation: 6 })
        .png()
        .toBuffer();
      const image = await preprocessImage(rotated, {
        size: { width: 10, height: 30, ...RGB },
        preprocessing: { crop: 'centre', scaling: { divisor: 255, offset: 0 } },
      });
      assert.deepEqual(pixel(image, 5, 2), [1, 0, 0]);
      assert.deepEqual(pixel(image, 5, 27), [0, 0, 1]);
    });

    it('converts to one grey channel for one-channel models', async () => {
      const image = await preprocessImage(await solidPng(16, 12, [127, 127, 127]), {
        size: { width: 8, height: 8, channels: 1 },
      });
      assert.equal(image.channels, 1);
      assert.equal(image.data.length, 64);
      assert.ok(image.data.every((v) => v === 0));
    });
  });

  describe('undecodable input', () => {
    const size = { width: 32, height: 32, ...RGB };

    it('rejects a truncated JPEG with UndecodableImageError', async () => {
      const truncated = (await readFile(FIXTURE)).subarray(0, 12_000);
      await assert.rejects(preprocessImage(truncated, { size }), (error: unknown) => {
        assert.ok(error instanceof UndecodableImageError);
        assert.equal(error.code, 'UNDECODABLE_IMAGE');
        assert.equal(error.byteLength, 12_000);
        assert.match(error.message, /cannot decode image \(12000 bytes\)/);
        return true;
      });
    });

    it('rejects bytes that are no image, a JPEG header with garbage, and an empty buffer', async () => {
      const garbageAfterHeader = Buffer.concat([
        Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
        Buffer.alloc(500, 0x41),
      ]);
      for (const bytes of [Buffer.from('definitely not a jpeg'), garbageAfterHeader, Buffer.alloc(0)]) {
        await assert.rejects(preprocessImage(bytes, { size }), UndecodableImageError);
      }
    });

    it('refuses frames above the pixel limit before decoding them', async () => {
      await assert.rejects(
        preprocessImage(await readFile(FIXTURE), { size, maxInputPixels: 1024 * 767 }),
        UndecodableImageError,
      );
    });
  });
});

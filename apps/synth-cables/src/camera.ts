import sharp from 'sharp';

import { Prng } from './prng.js';
import { Camera } from './scene.js';

/**
 * Lays the rendered objects over the background and turns the result into what an ESP32-CAM would upload: exposure and white balance, a cool cast
 * from one side, vignetting, lens blur, sensor noise, then JPEG compression with 4:2:0 chroma.
 */
export async function photograph(
  background: Buffer,
  svg: string,
  size: { width: number; height: number },
  camera: Camera,
  rng: Prng,
): Promise<Buffer> {
  const { width, height } = size;
  const data = await sharp(background, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }])
    .removeAlpha()
    .raw()
    .toBuffer();
  const lit = light(data, width, height, camera);
  const blurred = await sharp(lit, { raw: { width, height, channels: 3 } })
    .blur(camera.blur)
    .raw()
    .toBuffer();
  const noisy = addNoise(blurred, camera.noise, rng);
  return sharp(noisy, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: camera.jpegQuality, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

const COOL: readonly number[] = [196, 214, 240];

function light(pixels: Buffer, width: number, height: number, camera: Camera): Buffer {
  const out = Buffer.alloc(width * height * 3);
  const cx = width / 2;
  const cy = height / 2;
  const radius = Math.hypot(cx, cy);
  const castX = Math.cos(camera.coolCastAngle);
  const castY = Math.sin(camera.coolCastAngle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - cx, y - cy) / radius;
      const exposure = camera.gain * (1 - camera.vignette * r * r);
      // 0 on the far side of the frame, 1 on the side the cool light comes from.
      const side = 0.5 + (((x - cx) * castX + (y - cy) * castY) / radius) * 0.5;
      const cast = camera.coolCast * Math.max(0, side) ** 2;
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        const v = pixels[i] * exposure * camera.whiteBalance[c];
        out[i] = clamp(v + (COOL[c] - v) * cast);
      }
    }
  }
  return out;
}

function addNoise(pixels: Buffer, sigma: number, rng: Prng): Buffer {
  const out = Buffer.alloc(pixels.length);
  for (let i = 0; i < pixels.length; i += 3) {
    // Mostly luminance noise, a little independent chroma noise.
    const shared = rng.gaussian() * sigma;
    for (let c = 0; c < 3; c++) out[i + c] = clamp(pixels[i + c] + shared + rng.gaussian() * sigma * 0.35);
  }
  return out;
}

function clamp(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

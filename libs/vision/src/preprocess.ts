import sharp from 'sharp';

import { UndecodableImageError } from './errors.js';
import { InputSize, Preprocessing, TEACHABLE_MACHINE_PREPROCESSING } from './model-format.js';

/** One image ready for the model: `data` is height x width x channels, row-major, scaled per the model. */
export interface PreprocessedImage {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

export interface PreprocessOptions {
  /** Model input size (see `LoadedModel.input`). */
  readonly size: InputSize;
  /** Defaults to the Teachable Machine convention (centre crop, `x / 127 - 1`). */
  readonly preprocessing?: Preprocessing;
  /**
   * Refuse images with more pixels than this before decoding them fully (decompression bombs).
   * Default 16.7 Mpx, ten times an ESP32-CAM's largest frame (UXGA, 1600x1200).
   */
  readonly maxInputPixels?: number;
}

export const DEFAULT_MAX_INPUT_PIXELS = 4096 * 4096;

/**
 * Decodes an image (JPEG from the cameras; anything sharp reads works), honours EXIF orientation, fits
 * it to the model input (the centred region with the input's aspect ratio, resized; or the whole
 * frame stretched), drops alpha, converts to sRGB (or grey for
 * one-channel models) and scales every value. Throws `UndecodableImageError` when the bytes are not a
 * decodable image, including truncated JPEGs.
 */
export async function preprocessImage(
  bytes: Uint8Array,
  options: PreprocessOptions,
): Promise<PreprocessedImage> {
  const pixels = await decodeToModelPixels(bytes, options);
  const { divisor, offset } = (options.preprocessing ?? TEACHABLE_MACHINE_PREPROCESSING).scaling;
  const data = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) data[i] = pixels[i] / divisor + offset;
  const { width, height, channels } = options.size;
  return { data, width, height, channels };
}

/**
 * The geometric half of preprocessing: 0-255 channel values of the fitted image (height x width x
 * channels). Exposed for tools that want to see what the model sees.
 */
export async function decodeToModelPixels(
  bytes: Uint8Array,
  options: PreprocessOptions,
): Promise<Uint8Array> {
  const { width, height, channels } = options.size;
  const crop = (options.preprocessing ?? TEACHABLE_MACHINE_PREPROCESSING).crop;
  if (bytes.byteLength === 0) throw new UndecodableImageError(0, 'empty buffer');
  try {
    // Resizing first lets libvips shrink the JPEG while decoding it (1/8 of an XGA frame for a
    // 64×64 model): half the time and a fraction of the memory of a full decode cropped first.
    // `cover` is the centred crop with the input's aspect ratio, taken after the shrink.
    const image = sharp(bytes, {
      failOn: 'warning',
      limitInputPixels: options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS,
    })
      .autoOrient()
      .resize(width, height, crop === 'centre' ? { fit: 'cover', position: 'centre' } : { fit: 'fill' })
      .removeAlpha();
    const { data, info } = await (channels === 1 ? image.greyscale() : image.toColourspace('srgb'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || info.channels !== channels) {
      throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (error) {
    const reason = error instanceof Error ? error.message.trim() : String(error);
    throw new UndecodableImageError(bytes.byteLength, reason, { cause: error });
  }
}

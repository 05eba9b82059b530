import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { preprocessImage, UndecodableImageError, type PreprocessedImage } from '#vision';
import type { ModelInput } from './worker-protocol.js';

export type Decoded =
  | { readonly ok: true; readonly image: PreprocessedImage; readonly decodeMs: number }
  | { readonly ok: false; readonly reason: 'undecodable' | 'failed'; readonly message: string };

/**
 * Reads stored JPEGs and decodes them to the model's input (sharp, which works on this process's
 * libuv pool: the calling thread only waits). Made once the model is loaded, in the classifier
 * process (or a tool's), never in the gateway's.
 */
export class ImageDecoder {
  constructor(private readonly input: ModelInput) {
    // Each image is decoded once: libvips' cache would only hold memory. One libvips thread per
    // decode: the pool chooses how many decode at a time.
    sharp.cache(false);
    sharp.concurrency(1);
  }

  async decode(imagePath: string): Promise<Decoded> {
    const startedAt = performance.now();
    try {
      const bytes = await readFile(imagePath);
      const image = await preprocessImage(bytes, this.input);
      return { ok: true, image, decodeMs: performance.now() - startedAt };
    } catch (error) {
      return {
        ok: false,
        reason: error instanceof UndecodableImageError ? 'undecodable' : 'failed',
        message: (error as Error).message,
      };
    }
  }
}

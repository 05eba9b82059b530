import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { photograph } from './camera.js';
import { Prng } from './prng.js';
import { CableLabel, sampleScene } from './scene.js';
import { sceneToSvg } from './svg.js';
import { paintWood } from './wood.js';

export interface GenerateOptions {
  readonly out: string;
  readonly labels: readonly CableLabel[];
  readonly perClass: number;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  /** Called after each image is written. */
  readonly onProgress?: (progress: { done: number; total: number; label: CableLabel; file: string }) => void;
}

/**
 * Renders one synthetic camera JPEG. Each image has its own random stream derived from (seed, label,
 * index), so any image can be regenerated alone and the result does not depend on the other classes.
 */
export async function renderCablePhoto(
  label: CableLabel,
  index: number,
  seed: number,
  width: number,
  height: number,
): Promise<Buffer> {
  const rng = Prng.derive(seed, label, index);
  const scene = sampleScene(rng, label, width, height);
  return photograph(
    paintWood(scene.wood, width, height),
    sceneToSvg(scene),
    { width, height },
    scene.camera,
    rng,
  );
}

/** Writes `<out>/<label>/<index>.jpg` for every label; returns the number of images written. */
export async function generateDataset(options: GenerateOptions): Promise<number> {
  const total = options.labels.length * options.perClass;
  let done = 0;
  for (const label of options.labels) {
    const dir = join(options.out, label);
    await mkdir(dir, { recursive: true });
    for (let index = 0; index < options.perClass; index++) {
      const jpeg = await renderCablePhoto(label, index, options.seed, options.width, options.height);
      const file = join(dir, `${index}.jpg`);
      await writeFile(file, jpeg);
      done++;
      options.onProgress?.({ done, total, label, file });
    }
  }
  return done;
}

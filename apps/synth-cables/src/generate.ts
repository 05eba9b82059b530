import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { paintBelt } from './belt.js';
import { photograph } from './camera.js';
import { DEFAULT_LINE, type Line } from './lines.js';
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
  /** The line to render (default: the desk the default model was trained on). */
  readonly line?: Line;
  /** Index of the first image of each label (another range gives other images of the same line). */
  readonly firstIndex?: number;
  /** Called after each image is written. */
  readonly onProgress?: (progress: { done: number; total: number; label: CableLabel; file: string }) => void;
}

/**
 * Renders one synthetic camera JPEG of `line`. Each image has its own random stream derived from
 * (seed, line, label, index), so any image can be regenerated alone and the result does not depend
 * on the other classes.
 */
export async function renderCablePhoto(
  label: CableLabel,
  index: number,
  seed: number,
  width: number,
  height: number,
  line: Line = DEFAULT_LINE,
): Promise<Buffer> {
  // The default line keeps the streams it always had: the same seed renders the same images.
  const rng = Prng.derive(seed, line === DEFAULT_LINE ? label : `${line.name}/${label}`, index);
  const scene = sampleScene(rng, label, width, height, line);
  const background =
    scene.background.kind === 'wood'
      ? paintWood(scene.background.wood, width, height)
      : paintBelt(scene.background.belt, width, height);
  return photograph(background, sceneToSvg(scene), { width, height }, scene.camera, rng);
}

/** Writes `<out>/<label>/<index>.jpg` for every label; returns the number of images written. */
export async function generateDataset(options: GenerateOptions): Promise<number> {
  const total = options.labels.length * options.perClass;
  let done = 0;
  for (const label of options.labels) {
    const dir = join(options.out, label);
    await mkdir(dir, { recursive: true });
    const first = options.firstIndex ?? 0;
    for (let index = first; index < first + options.perClass; index++) {
      const jpeg = await renderCablePhoto(
        label,
        index,
        options.seed,
        options.width,
        options.height,
        options.line,
      );
      const file = join(dir, `${index}.jpg`);
      await writeFile(file, jpeg);
      done++;
      options.onProgress?.({ done, total, label, file });
    }
  }
  return done;
}

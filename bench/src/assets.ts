import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { SeededRandom } from '#camera-emulator';
import { DATA_HEADER_BYTES, MAX_PACKET_COUNT } from '#protocol';
import { writeTinyModel } from '../../src/classification/testing-model.js';

/** The real ESP32-CAM photo (XGA, 30 KB) every benchmark image derives from. */
export const FIXTURE_JPEG = fileURLToPath(
  new URL('../../../test/fixtures/esp32cam-xga.jpg', import.meta.url),
);

/** The model the gateway loads by default (MODEL_DIR's default). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/default', import.meta.url));

/** Labels of the stand-in model used when the default one is absent. */
const TINY_MODEL_LABELS = ['good', 'frayed', 'kinked'];

/** Packet sizes of the deployed builds: every image must be sendable by all of them. */
const PACKET_SIZES = [1024, 1460];

/** The model the benchmark classifies with. */
export interface ModelChoice {
  readonly dir: string;
  /** `default` (models/default) or `tiny` (a stand-in written for the run). */
  readonly kind: 'default' | 'tiny';
  /** Why the default model was not used. */
  readonly reason?: string;
}

/** What the sections share: real JPEGs, a model, the backends this machine has. */
export interface BenchAssets {
  /** Folder holding the JPEGs below, as files (the classifier reads files). */
  readonly imageDir: string;
  readonly images: readonly { readonly name: string; readonly bytes: Buffer }[];
  readonly model: ModelChoice;
  /** Inference backends to measure: cpu, wasm, and tensorflow when tfjs-node is installed. */
  readonly backends: readonly string[];
  /** The fastest of them, what `INFERENCE_BACKEND=auto` picks. */
  readonly bestBackend: string;
}

/** How one variant of the fixture is made: noise amplitude, JPEG quality, a transform. */
interface Variant {
  readonly name: string;
  readonly noise: number;
  readonly quality: number | undefined;
  readonly transform?: (image: Sharp) => Sharp;
}

/**
 * Variants of the fixture that span the firmware's usual range (30-150 KB): re-encoded at other
 * qualities, mirrored, brighter, with sensor-like noise (which JPEG compresses poorly).
 */
const VARIANTS: readonly Variant[] = [
  { name: 'fixture', noise: 0, quality: undefined },
  { name: 'q95', noise: 0, quality: 95 },
  {
    name: 'mirrored-bright',
    noise: 0,
    quality: 92,
    transform: (image) => image.flop().modulate({ brightness: 1.1 }),
  },
  { name: 'noise4-q80', noise: 4, quality: 80 },
  { name: 'noise4-q90', noise: 4, quality: 90 },
  { name: 'noise8-q80', noise: 8, quality: 80 },
  { name: 'noise8-q90', noise: 8, quality: 90 },
  { name: 'rotated-noise16-q80', noise: 16, quality: 80, transform: (image) => image.rotate(180) },
];

/** Whether every deployed build can send `size` bytes, and finish (the exact-multiple bug spared). */
function sendable(size: number): boolean {
  return PACKET_SIZES.every((packetSize) => {
    const payload = packetSize - DATA_HEADER_BYTES;
    return size <= MAX_PACKET_COUNT * payload && size % payload !== 0;
  });
}

async function makeVariant(fixture: Buffer, variant: Variant, seed: number): Promise<Buffer> {
  if (variant.quality === undefined) return fixture;
  const { data, info } = await sharp(fixture).raw().toBuffer({ resolveWithObject: true });
  if (variant.noise > 0) {
    const random = new SeededRandom(seed);
    const span = 2 * variant.noise + 1;
    for (let index = 0; index < data.length; index++) {
      data[index] = Math.max(0, Math.min(255, data[index]! + random.below(span) - variant.noise));
    }
  }
  const image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  return (variant.transform ? variant.transform(image) : image).jpeg({ quality: variant.quality }).toBuffer();
}

/** Writes the fixture and its variants into `directory`. */
export async function prepareImages(directory: string): Promise<BenchAssets['images']> {
  await mkdir(directory, { recursive: true });
  const fixture = await readFile(FIXTURE_JPEG);
  const images: { name: string; bytes: Buffer }[] = [];
  for (const [index, variant] of VARIANTS.entries()) {
    const bytes = await makeVariant(fixture, variant, index + 1);
    if (!sendable(bytes.length)) continue;
    const name = `${String(index).padStart(2, '0')}-${variant.name}.jpg`;
    await writeFile(join(directory, name), bytes);
    images.push({ name, bytes });
  }
  return images;
}

/** models/default when it holds a model, a tiny stand-in written into `workDir` otherwise. */
export async function chooseModel(workDir: string): Promise<ModelChoice> {
  const modelJson = join(DEFAULT_MODEL_DIR, 'model.json');
  const labels = ['metadata.json', 'labels.json'].some((name) => existsSync(join(DEFAULT_MODEL_DIR, name)));
  if (existsSync(modelJson) && labels) return { dir: DEFAULT_MODEL_DIR, kind: 'default' };
  const dir = join(workDir, 'tiny-model');
  await writeTinyModel(dir, TINY_MODEL_LABELS);
  const reason = existsSync(modelJson)
    ? 'models/default has no labels file'
    : 'models/default does not exist (yet)';
  return { dir, kind: 'tiny', reason };
}

/** A tiny stand-in model, for when the default one fails to load. */
export async function tinyModel(workDir: string, reason: string): Promise<ModelChoice> {
  const dir = join(workDir, 'tiny-model');
  if (!existsSync(join(dir, 'model.json'))) await writeTinyModel(dir, TINY_MODEL_LABELS);
  return { dir, kind: 'tiny', reason };
}

/** Backends worth measuring here: tensorflow only when the optional tfjs-node package is installed. */
export function availableBackends(): string[] {
  const require = createRequire(import.meta.url);
  try {
    require.resolve('@tensorflow/tfjs-node');
    return ['cpu', 'wasm', 'tensorflow'];
  } catch {
    return ['cpu', 'wasm'];
  }
}

/** Everything the sections share, made once per run. */
export async function prepareAssets(workDir: string): Promise<BenchAssets> {
  const imageDir = join(workDir, 'jpegs');
  const images = await prepareImages(imageDir);
  const model = await chooseModel(workDir);
  const backends = availableBackends();
  return { imageDir, images, model, backends, bestBackend: backends[backends.length - 1]! };
}

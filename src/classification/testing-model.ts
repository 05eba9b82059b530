import { selectBackend } from '#vision';
import { writeTinyLayersModel } from '../../libs/vision/src/testing/tiny-models.js';

/**
 * Writes a tiny, deterministic layers model (16×16 RGB → softmax over `labels`) for tests: real
 * files loaded the real way, small enough to load in milliseconds.
 */
export async function writeTinyModel(directory: string, labels: readonly string[]): Promise<void> {
  await selectBackend('cpu');
  const kernel = [0, 1, 2].map((channel) => labels.map((_, index) => ((index + channel) % 3) / 3 - 0.3));
  await writeTinyLayersModel(directory, {
    size: 16,
    kernel,
    bias: labels.map(() => 0),
    metadata: { labels: [...labels], imageSize: 16 } as never,
  });
}

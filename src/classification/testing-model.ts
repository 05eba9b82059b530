import * as tf from '@tensorflow/tfjs';
import { saveLayersModel, selectBackend } from '#vision';

/**
 * Writes a tiny, deterministic layers model (16×16 RGB → softmax over `labels`) for tests: real
 * files loaded the real way, small enough to load in milliseconds.
 */
export async function writeTinyModel(directory: string, labels: readonly string[]): Promise<void> {
  await selectBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.averagePooling2d({ inputShape: [16, 16, 3], poolSize: 8 }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: labels.length,
        activation: 'softmax',
        kernelInitializer: 'ones',
        biasInitializer: 'zeros',
      }),
    ],
  });
  const [kernel] = model.layers[2]!.getWeights();
  const values = Array.from({ length: kernel!.size }, (_, i) => ((i * 7) % 5) / 5 - 0.4);
  model.layers[2]!.setWeights([tf.tensor(values, kernel!.shape), tf.zeros([labels.length])]);
  await saveLayersModel(model, directory, { labels: [...labels], imageSize: 16 } as never);
  model.dispose();
}

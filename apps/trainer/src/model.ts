import type { Sequential } from '@tensorflow/tfjs';

import type { InputSize, Tf } from '#vision';

export interface CnnOptions {
  readonly input: InputSize;
  readonly classes: number;
  readonly seed: number;
  readonly learningRate: number;
}

/**
 * A small CNN for defects that are local (a slit, a copper patch, a fold): four 3x3 convolution
 * blocks (12, 24, 48, 64 filters, each batch-normalised, max-pooled between), global max pooling (where in the frame the
 * defect is does not matter) and a softmax layer. Every initializer is seeded. About 43k
 * weights, 170 kB on disk. Batch normalisation (momentum 0.9, so its running statistics settle within
 * an epoch of a small data set) is what lets this net start learning at all from scratch here; with
 * only a few minutes of training it underfits, so there is no dropout.
 */
export function buildCnn(tf: Tf, options: CnnOptions): Sequential {
  const { input, classes, seed } = options;
  let next = seed;
  const init = () => tf.initializers.glorotUniform({ seed: next++ });
  const model = tf.sequential({ name: 'cable_inspector_cnn' });
  [12, 24, 48, 64].forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [input.height, input.width, input.channels] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(),
      }),
    );
    model.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    model.add(tf.layers.reLU());
    if (i < 3) model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  model.add(tf.layers.globalMaxPooling2d({}));
  model.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init() }));
  model.compile({
    optimizer: tf.train.adam(options.learningRate),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

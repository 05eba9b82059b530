import type { LayersModel, SymbolicTensor, Tensor2D } from '@tensorflow/tfjs';

import { loadModel, type InputSize, type Preprocessing, type Tf } from '#vision';

/** A model to go on training from another one, with what it takes as input. */
export interface StartingModel {
  readonly model: LayersModel;
  /** Its outputs, in order: the base model's labels, then the new ones. */
  readonly labels: readonly string[];
  readonly input: InputSize;
  readonly preprocessing: Preprocessing;
  /** The labels the base model did not have (a new last layer was made for them). */
  readonly added: readonly string[];
}

/**
 * Loads the model at `dir` to fine-tune it on data labelled `labels` (the synthetic model as
 * pretraining for the plant's own photos): every layer is kept and trained on; when the data has
 * labels the model lacks, its last layer is replaced by one with an output more for each, whose
 * weights for the known labels are the old layer's (the new ones start from a seeded
 * initialisation). Compiled with Adam at `learningRate`.
 */
export async function startingModel(
  tf: Tf,
  dir: string,
  labels: readonly string[],
  options: { readonly seed: number; readonly learningRate: number },
): Promise<StartingModel> {
  const loaded = await loadModel(dir);
  if (loaded.kind !== 'layers') {
    loaded.dispose();
    throw new Error(`--from ${dir}: only a layers model can be trained on (this one is a graph model)`);
  }
  const base = loaded.model as LayersModel;
  const added = labels.filter((label) => !loaded.labels.includes(label)).sort();
  let model = base;
  if (added.length > 0) model = widened(tf, base, loaded.labels.length + added.length, options.seed);
  model.compile({
    optimizer: tf.train.adam(options.learningRate),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return {
    model,
    labels: [...loaded.labels, ...added],
    input: loaded.input,
    preprocessing: loaded.preprocessing,
    added,
  };
}

/** `base` with its last (dense) layer replaced by one of `outputs` units, the old units' weights kept. */
function widened(tf: Tf, base: LayersModel, outputs: number, seed: number): LayersModel {
  const last = base.layers[base.layers.length - 1]!;
  const [kernel, bias] = last.getWeights() as [Tensor2D, Tensor2D];
  if (!kernel || kernel.shape.length !== 2)
    throw new Error('--from: the model must end with a dense layer to take new labels');
  const features = base.layers[base.layers.length - 2]!.output as SymbolicTensor;
  const head = tf.layers.dense({
    units: outputs,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    name: `${last.name}_widened`,
  });
  const model = tf.model({ inputs: base.inputs, outputs: head.apply(features) as SymbolicTensor });
  const [freshKernel, freshBias] = head.getWeights();
  const known = kernel.shape[1];
  const weights = tf.tidy(() => [
    tf.concat([kernel, freshKernel!.slice([0, known], [-1, -1])], 1),
    tf.concat([bias!, freshBias!.slice([known], [-1])], 0),
  ]);
  head.setWeights(weights);
  tf.dispose(weights);
  return model;
}

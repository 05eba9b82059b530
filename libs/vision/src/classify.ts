import * as tf from '@tensorflow/tfjs';

import { InputShapeMismatchError } from './errors.js';
import { LoadedModel } from './model-loader.js';
import { preprocessImage, PreprocessedImage } from './preprocess.js';

export interface Classification {
  /** The model's output for each label, in label order (probabilities for softmax models). */
  readonly scores: number[];
  readonly best: { readonly index: number; readonly label: string; readonly score: number };
}

/** Classifies one preprocessed image. */
export async function classify(loaded: LoadedModel, image: PreprocessedImage): Promise<Classification> {
  const [result] = await classifyBatch(loaded, [image]);
  return result;
}

/** Classifies several preprocessed images in one forward pass; results are in input order. */
export async function classifyBatch(
  loaded: LoadedModel,
  images: readonly PreprocessedImage[],
): Promise<Classification[]> {
  if (images.length === 0) return [];
  const scores = await predictScores(loaded, images);
  return scores.map((row) => toClassification(loaded.labels, row));
}

/** Decodes, preprocesses (per the model's metadata) and classifies one encoded image such as a JPEG. */
export async function classifyImage(loaded: LoadedModel, bytes: Uint8Array): Promise<Classification> {
  const image = await preprocessImage(bytes, { size: loaded.input, preprocessing: loaded.preprocessing });
  return classify(loaded, image);
}

/** Stacks preprocessed images into one [n, height, width, channels] float32 tensor. */
export function imagesToTensor(images: readonly PreprocessedImage[]): tf.Tensor4D {
  const [first] = images;
  const pixelsPerImage = first.data.length;
  const batch = new Float32Array(images.length * pixelsPerImage);
  images.forEach((image, i) => {
    if (image.data.length !== pixelsPerImage) {
      throw new InputShapeMismatchError(
        `${pixelsPerImage} values per image`,
        `${image.data.length} for image ${i}`,
      );
    }
    batch.set(image.data, i * pixelsPerImage);
  });
  return tf.tensor4d(batch, [images.length, first.height, first.width, first.channels]);
}

async function predictScores(loaded: LoadedModel, images: readonly PreprocessedImage[]): Promise<number[][]> {
  const { width, height, channels } = loaded.input;
  images.forEach((image, i) => {
    if (image.width !== width || image.height !== height || image.channels !== channels) {
      throw new InputShapeMismatchError(
        `${width}x${height}x${channels}`,
        `${image.width}x${image.height}x${image.channels} (image ${i})`,
      );
    }
  });
  const output = tf.tidy(() => loaded.model.predict(imagesToTensor(images)) as tf.Tensor2D);
  try {
    return (await output.array()) as number[][];
  } finally {
    output.dispose();
  }
}

function toClassification(labels: readonly string[], scores: number[]): Classification {
  let index = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[index]) index = i;
  return { scores, best: { index, label: labels[index], score: scores[index] } };
}

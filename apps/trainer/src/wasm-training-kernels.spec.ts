import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Tensor4D } from '@tensorflow/tfjs';

import { selectBackend, Tf } from '#vision';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

/** Deterministic values in [-0.5, 0.5). */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

describe('registerWasmTrainingKernels', () => {
  let tf: Tf;

  before(async () => {
    ({ tf } = await selectBackend('wasm'));
    registerWasmTrainingKernels(tf);
  });

  /** Gradients of sum(conv2d(x, f) * dy) w.r.t. x and f on one backend. */
  async function gradients(backend: string, xShape: Shape, fShape: Shape, pad: 'same' | 'valid') {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor4d(
        values(
          xShape.reduce((a, b) => a * b),
          1,
        ),
        xShape,
      );
      const f = tf.tensor4d(
        values(
          fShape.reduce((a, b) => a * b),
          2,
        ),
        fShape,
      );
      const yShape = tf.conv2d(x, f, 1, pad).shape;
      const dy = tf.tensor(
        values(
          yShape.reduce((a, b) => a * b),
          3,
        ),
        yShape,
      );
      const [dx, df] = tf.grads((a, b) =>
        tf
          .conv2d(a as Tensor4D, b as Tensor4D, 1, pad)
          .mul(dy)
          .sum(),
      )([x, f]);
      return [Array.from(dx.dataSync()), Array.from(df.dataSync())];
    });
  }

  type Shape = [number, number, number, number];
  const cases: [Shape, Shape, 'same' | 'valid'][] = [
    [[2, 9, 9, 3], [3, 3, 3, 5], 'same'],
    [[2, 9, 9, 3], [3, 3, 3, 5], 'valid'],
    [[1, 6, 7, 2], [5, 5, 2, 4], 'same'],
    [[2, 8, 8, 2], [2, 4, 2, 3], 'same'],
  ];
  for (const [xShape, fShape, pad] of cases) {
    it(`matches the cpu backend for x ${xShape}, filter ${fShape}, ${pad} padding`, async () => {
      const [cpuDx, cpuDf] = await gradients('cpu', xShape, fShape, pad);
      const [wasmDx, wasmDf] = await gradients('wasm', xShape, fShape, pad);
      const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      assert.equal(wasmDx.length, cpuDx.length);
      assert.equal(wasmDf.length, cpuDf.length);
      assert.ok(maxDiff(cpuDx, wasmDx) < 1e-4, `dx differs by ${maxDiff(cpuDx, wasmDx)}`);
      assert.ok(maxDiff(cpuDf, wasmDf) < 1e-4, `dfilter differs by ${maxDiff(cpuDf, wasmDf)}`);
    });
  }

  it('refuses strided filter gradients instead of computing them wrong', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 8, 8, 1]) as Tensor4D;
    assert.throws(
      () => tf.grad((f) => tf.conv2d(x, f as Tensor4D, 2, 'same').sum())(tf.ones([3, 3, 1, 1])),
      /stride 1/,
    );
    x.dispose();
  });

  it('tiles like the cpu backend, for the batch-norm broadcast and other shapes and dtypes', async () => {
    const cases: [number[], number[], 'float32' | 'int32' | 'bool'][] = [
      [[1, 1, 1, 5], [3, 4, 2, 1], 'float32'],
      [[2, 3], [2, 2], 'int32'],
      [[4], [3], 'float32'],
      [[2, 1, 3], [1, 4, 2], 'bool'],
      [[2, 3], [0, 1], 'float32'],
    ];
    for (const [shape, reps, dtype] of cases) {
      const results: number[][] = [];
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(
          Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 2 : i * 1.5 - 3)),
          shape,
          dtype,
        );
        const tiled = tf.tile(x, reps);
        results.push(Array.from(tiled.dataSync()));
        tf.dispose([x, tiled]);
      }
      assert.deepEqual(results[1], results[0], `${dtype} ${shape} x ${reps}`);
    }
  });
});

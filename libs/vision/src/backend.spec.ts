import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { selectBackend, wasmBinariesDirectory } from './backend.js';

describe('selectBackend', () => {
  it('finds the wasm binaries of the installed package at run time', () => {
    const dir = wasmBinariesDirectory();
    assert.ok(dir.endsWith('/'));
    assert.ok(existsSync(join(dir, 'tfjs-backend-wasm.wasm')), dir);
    assert.ok(existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm')), dir);
  });

  it('honours an explicit cpu preference', async () => {
    const { tf, backend, fallbacks } = await selectBackend('cpu');
    assert.equal(backend, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(fallbacks, []);
  });

  it('runs operations on the wasm backend', async () => {
    const { tf, backend } = await selectBackend('wasm');
    assert.equal(backend, 'wasm');
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
    assert.deepEqual(sum, [4, 6]);
  });

  it('prefers tfjs-node, falling back to wasm and saying why when it is not installed', async () => {
    const { tf, backend, fallbacks } = await selectBackend('auto');
    assert.equal(tf.getBackend(), backend);
    if (backend === 'tensorflow') {
      assert.deepEqual(fallbacks, []);
    } else {
      assert.equal(backend, 'wasm');
      assert.equal(fallbacks.length, 1);
      assert.equal(fallbacks[0].backend, 'tensorflow');
      assert.match(fallbacks[0].reason, /tfjs-node/);
    }
  });
});

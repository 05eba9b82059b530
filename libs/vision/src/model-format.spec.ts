import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { asLabels, resolvePreprocessing, TEACHABLE_MACHINE_PREPROCESSING } from './model-format.js';

describe('resolvePreprocessing', () => {
  it('defaults to the Teachable Machine convention: centre crop, x / 127 - 1', () => {
    assert.deepEqual(resolvePreprocessing(undefined), { ok: true, value: TEACHABLE_MACHINE_PREPROCESSING });
    assert.deepEqual(TEACHABLE_MACHINE_PREPROCESSING, {
      crop: 'centre',
      scaling: { divisor: 127, offset: -1 },
    });
  });

  it('reads crop mode and scaling, accepting the spelling "center"', () => {
    assert.deepEqual(resolvePreprocessing({ crop: 'center', scaling: { divisor: 255, offset: 0 } }), {
      ok: true,
      value: { crop: 'centre', scaling: { divisor: 255, offset: 0 } },
    });
    assert.deepEqual(resolvePreprocessing({ crop: 'stretch' }), {
      ok: true,
      value: { crop: 'stretch', scaling: { divisor: 127, offset: -1 } },
    });
  });

  it('rejects unknown crop modes and malformed scaling with a reason', () => {
    assert.deepEqual(resolvePreprocessing({ crop: 'letterbox' }), {
      ok: false,
      reason: '"preprocessing.crop" must be one of centre, stretch',
    });
    const bad = resolvePreprocessing({ scaling: { divisor: 0, offset: 1 } });
    assert.equal(bad.ok, false);
    assert.equal(resolvePreprocessing('centre').ok, false);
  });
});

describe('asLabels', () => {
  it('accepts a non-empty array of distinct non-empty strings', () => {
    assert.deepEqual(asLabels(['good', 'kink']), ['good', 'kink']);
  });

  it('rejects anything else', () => {
    for (const value of [[], ['good', 'good'], ['good', ''], ['good', 3], 'good', { 0: 'good' }, null]) {
      assert.equal(asLabels(value), undefined, JSON.stringify(value));
    }
  });
});

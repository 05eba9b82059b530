import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisStatus, NO_CLASS, Verdict } from '#protocol';
import {
  analysisOf,
  resultFrameOf,
  shadowAnalysisOf,
  unavailableAnalysis,
  verdictOf,
} from './analysis-record.js';
import { verdictPolicyFrom } from './verdict.js';

const MODEL = {
  name: 'tiny',
  backend: 'wasm',
  labels: ['good', 'kink'],
  modelId: 'abcdef012345',
  inputSize: [16, 16] as const,
};
const POLICY = verdictPolicyFrom('good', 0.6);
const AT = Date.UTC(2026, 11, 1, 12, 0, 0);
const TIMING = { queuedMs: 40, waitedMs: 30, batchSize: 3 };

describe('analysis records', () => {
  it('records a classified image with every score, its verdict and its timings, and pushes it as op 4', () => {
    const outcome = { id: 1, ok: true as const, scores: [0.2, 0.8], decodeMs: 5, inferenceMs: 2 };
    const analysis = analysisOf(outcome, MODEL, POLICY, TIMING, AT);
    assert.deepEqual(analysis, {
      status: 'analysed',
      verdict: 'defect',
      label: 'kink',
      classIndex: 1,
      confidence: 0.8,
      scores: { good: 0.2, kink: 0.8 },
      backend: 'wasm',
      model: 'tiny',
      modelId: 'abcdef012345',
      analysedAt: '2026-12-01T12:00:00.000Z',
      timings: { queuedMs: 40, waitedMs: 30, batchSize: 3, decodeMs: 5, inferenceMs: 2 },
    });
    assert.deepEqual(resultFrameOf(analysis, 7), {
      kind: 'analysis-result',
      deviceId: 7,
      status: AnalysisStatus.Analysed,
      verdict: Verdict.Defect,
      classIndex: 1,
      confidence: 8000,
      label: 'kink',
    });
    assert.equal(verdictOf(analysis), Verdict.Defect);
  });

  it('records an undecodable image with its message, pushed as status 1 and class 255', () => {
    const outcome = { id: 2, ok: false as const, reason: 'undecodable' as const, message: 'truncated JPEG' };
    const analysis = analysisOf(outcome, MODEL, POLICY, TIMING, AT);
    assert.equal(analysis.status, 'undecodable');
    assert.equal(analysis.message, 'truncated JPEG');
    assert.equal(analysis.scores, null);
    const frame = resultFrameOf(analysis, 7);
    assert.deepEqual(
      [frame.status, frame.classIndex, frame.confidence, frame.label],
      [AnalysisStatus.Undecodable, NO_CLASS, 0, ''],
    );
    assert.equal(verdictOf(analysis), 'undecodable');
  });

  it('records an analysis that could not be made as unavailable, pushed as status 2', () => {
    const analysis = unavailableAnalysis('analysis disabled', undefined, 0, AT);
    assert.deepEqual([analysis.status, analysis.backend, analysis.modelId], ['unavailable', null, null]);
    assert.equal(resultFrameOf(analysis, 1).status, AnalysisStatus.Unavailable);
    assert.equal(verdictOf(analysis), 'unavailable');
  });

  it("records a shadow model's outcome as an analysis of its own model, with its verdict and failures", () => {
    const candidate = { ...MODEL, name: 'candidate', modelId: '0123456789ab' };
    const shadow = shadowAnalysisOf({ ok: true, scores: [0.9, 0.1], inferenceMs: 3 }, candidate, POLICY, AT);
    assert.deepEqual(
      [shadow.status, shadow.verdict, shadow.label, shadow.model, shadow.modelId, shadow.timings.inferenceMs],
      ['analysed', 'pass', 'good', 'candidate', '0123456789ab', 3],
    );
    const failed = shadowAnalysisOf({ ok: false, message: 'input 32x32 expected' }, candidate, POLICY, AT);
    assert.deepEqual(
      [failed.status, failed.message, failed.model],
      ['unavailable', 'input 32x32 expected', 'candidate'],
    );
  });
});

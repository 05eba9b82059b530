import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Verdict } from '#protocol';
import { decide, verdictPolicyFrom } from './verdict.js';

const LABELS = ['good', 'cut_insulation', 'exposed_conductor', 'kink'];
const POLICY = verdictPolicyFrom(' good , ', 0.6);

describe('decide', () => {
  const cases: [string, number[], Verdict, number][] = [
    ['a confident good cable passes', [0.9, 0.05, 0.03, 0.02], Verdict.Pass, 0],
    ['a confident defect label is a defect', [0.1, 0.7, 0.1, 0.1], Verdict.Defect, 1],
    ['a best score under the threshold is uncertain', [0.5, 0.3, 0.1, 0.1], Verdict.Uncertain, 0],
    ['a best score exactly at the threshold is decided', [0.6, 0.2, 0.1, 0.1], Verdict.Pass, 0],
    ['the last class can win', [0.01, 0.01, 0.01, 0.97], Verdict.Defect, 3],
  ];
  for (const [behaviour, scores, verdict, classIndex] of cases) {
    it(behaviour, () => {
      const decision = decide(scores, LABELS, POLICY);
      assert.equal(decision.verdict, verdict);
      assert.equal(decision.classIndex, classIndex);
      assert.equal(decision.label, LABELS[classIndex]);
      assert.equal(decision.score, scores[classIndex]);
    });
  }

  it('reads several pass labels from a comma-separated list', () => {
    const policy = verdictPolicyFrom('good,kink', 0.5);
    assert.equal(decide([0.1, 0.1, 0.1, 0.7], LABELS, policy).verdict, Verdict.Pass);
  });

  it('refuses an empty score list', () => {
    assert.throws(() => decide([], LABELS, POLICY), RangeError);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testRecord } from '../results/testing-records.js';
import { compareModels } from './model-comparison.js';

const T0 = Date.UTC(2026, 11, 1, 8);
const PASS = new Set(['good']);

const by = (model: string, label: string, verdict = label === 'good' ? 'pass' : 'defect') => ({
  status: 'analysed',
  verdict,
  label,
  confidence: 0.9,
  model,
  modelId: `${model}-id`,
  analysedAt: new Date(T0).toISOString(),
});

describe('compareModels', () => {
  it("gives the agreement of the active and shadow models, and each one's accuracy and recall on reviewed images", () => {
    const records = [
      // reviewed kink: the active model passes it (a false pass), the shadow finds it
      testRecord(1, T0 + 1, by('default', 'good'), { shadow: by('candidate', 'kink'), review: { label: 'kink', at: '' } }),
      // reviewed good: both right
      testRecord(1, T0 + 2, by('default', 'good'), { shadow: by('candidate', 'good'), review: { label: 'good', at: '' } }),
      // reviewed kink: both right
      testRecord(1, T0 + 3, by('default', 'kink'), { shadow: by('candidate', 'kink'), review: { label: 'kink', at: '' } }),
      // not reviewed, the two disagree
      testRecord(1, T0 + 4, by('default', 'kink'), { shadow: by('candidate', 'good') }),
      // classified by the active model alone, reviewed
      testRecord(1, T0 + 5, by('default', 'kink'), { review: { label: 'good', at: '' } }),
      // the shadow failed on it: compared nowhere for the shadow
      testRecord(1, T0 + 6, by('default', 'good'), {
        shadow: { status: 'unavailable', verdict: null, label: null, model: 'candidate' },
      }),
    ];
    const comparison = compareModels(records, PASS, { active: 'default', shadow: 'candidate' });
    assert.equal(comparison.images, 6);
    assert.equal(comparison.pairs.length, 1);
    const [pair] = comparison.pairs;
    assert.deepEqual([pair!.active, pair!.shadow, pair!.images, pair!.agreement, pair!.reviewed], [
      'default',
      'candidate',
      4,
      0.5,
      3,
    ]);
    const [active, shadow] = pair!.scores;
    assert.deepEqual([active.accuracy, active.falsePasses, active.recall], [
      0.6667,
      1,
      { good: { reviewed: 1, recall: 1 }, kink: { reviewed: 2, recall: 0.5 } },
    ]);
    assert.deepEqual([shadow.accuracy, shadow.falsePasses, shadow.recall.kink], [1, 0, { reviewed: 2, recall: 1 }]);
    const alone = comparison.models.find((model) => model.model === 'default')!;
    assert.deepEqual([alone.images, alone.reviewed, alone.accuracy], [6, 4, 0.5]);
  });

  it('lists the pair running now first, and says null where nothing was reviewed', () => {
    const records = [
      testRecord(1, T0 + 1, by('a', 'good'), { shadow: by('b', 'good') }),
      testRecord(1, T0 + 2, by('a', 'good'), { shadow: by('b', 'good') }),
      testRecord(1, T0 + 3, by('c', 'good'), { shadow: by('d', 'kink') }),
    ];
    const comparison = compareModels(records, PASS, { active: 'c', shadow: 'd' });
    assert.deepEqual(
      comparison.pairs.map((pair) => [pair.active, pair.agreement, pair.scores[0].accuracy]),
      [
        ['c', 0, null],
        ['a', 1, null],
      ],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { changedShare, groupSamples, splitSamples, type Sample } from './samples.js';

const sample = (label: string, device: string | undefined, capturedAt: number, sha?: string): Sample => ({
  path: `${device}/${capturedAt}.jpg`,
  label,
  device,
  capturedAt: device === undefined ? undefined : capturedAt,
  sha256: sha,
});

describe('changedShare: consecutive frames that show the same thing', () => {
  const frame = (fill: number) => new Uint8Array(80 * 60).fill(fill);

  it('is 0 for the same frame, and for the same frame brighter', () => {
    assert.equal(changedShare(frame(100), frame(100)), 0);
    assert.equal(changedShare(frame(130), frame(100)), 0);
  });

  it('sees a thin cable across the frame', () => {
    const withCable = frame(100);
    for (let x = 0; x < 80; x++) withCable[30 * 80 + x] = 20;
    assert.ok(changedShare(withCable, frame(100)) > 0.01);
  });
});

describe('groupSamples', () => {
  it('keeps near-identical frames and identical files together, and by device whole cameras', () => {
    const samples = [
      sample('good', 'cam1', 1, 'a'),
      sample('good', 'cam1', 2, 'b'),
      sample('kink', 'cam2', 3, 'a'),
      sample('kink', 'cam2', 4, 'c'),
      sample('good', undefined, 0),
    ];
    const time = groupSamples(samples, 'time', [[0, 1]]);
    assert.equal(time[0], time[1], 'near-identical');
    assert.equal(time[0], time[2], 'same file');
    assert.notEqual(time[3], time[0]);
    assert.equal(new Set(time).size, 3);
    const device = groupSamples(samples, 'device', []);
    assert.equal(device[2], device[3]);
    assert.equal(device[0], device[2], 'cam1 and cam2 share a file');
    assert.notEqual(device[4], device[0]);
  });
});

describe('splitSamples', () => {
  it('never puts two images of one group on two sides, and by time holds out the newest of each label', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('good', 'kink', 'cut'), fc.integer({ min: 0, max: 3 }), fc.boolean()),
          {
            minLength: 3,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 1000 }),
        (rows, seed) => {
          const samples = rows.map(([label, camera], index) => sample(label, `cam${camera}`, index * 1000));
          // A frame that repeats the one before it on its camera.
          const links: [number, number][] = [];
          rows.forEach(([, camera, repeats], index) => {
            const before = rows
              .slice(0, index)
              .map(([, c]) => c)
              .lastIndexOf(camera);
            if (repeats && before >= 0) links.push([before, index]);
          });
          const labels = ['cut', 'good', 'kink'];
          for (const by of ['time', 'device'] as const) {
            const split = splitSamples(samples, labels, { test: 0.2, validation: 0.1 }, { by, links, seed });
            const groups = groupSamples(samples, by, links);
            const side = new Map<number, string>();
            for (const [part, indices] of Object.entries({
              train: split.train,
              validation: split.validation,
              test: split.test,
            }))
              for (const index of indices) {
                const seen = side.get(groups[index]!);
                assert.ok(
                  seen === undefined || seen === part,
                  `group ${groups[index]} in ${seen} and ${part}`,
                );
                side.set(groups[index]!, part);
              }
            assert.equal(split.train.length + split.validation.length + split.test.length, samples.length);
          }
        },
      ),
    );
  });

  it('by time, tests on what came after what it trained on', () => {
    const samples = Array.from({ length: 20 }, (_, index) =>
      sample(index % 2 ? 'kink' : 'good', 'cam', index),
    );
    const split = splitSamples(
      samples,
      ['good', 'kink'],
      { test: 0.2, validation: 0.1 },
      { by: 'time', links: [], seed: 1 },
    );
    const newestTrained = Math.max(...split.train.map((index) => samples[index]!.capturedAt!));
    assert.ok(split.test.every((index) => samples[index]!.capturedAt! > newestTrained));
    assert.deepEqual(split.test, [16, 17, 18, 19]);
  });
});

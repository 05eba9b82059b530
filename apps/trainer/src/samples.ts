import { readFile } from 'node:fs/promises';

import { decodeToModelPixels } from '#vision';
import { systemClock } from '../../../src/common/clock.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { ImageStore } from '../../../src/storage/image-store.js';
import type { SplitBy } from './args.js';
import { listDataset } from './dataset.js';
import { stratifiedSplit, type Split, type SplitFractions } from './split.js';

/** One labelled image to train or test on, and what says where and when it was taken. */
export interface Sample {
  readonly path: string;
  readonly label: string;
  /** The camera (`<device id>_<address>`), for images of a gateway's store. */
  readonly device?: string;
  /** When it was stored (epoch ms), for images of a gateway's store. */
  readonly capturedAt?: number;
  readonly sha256?: string;
}

/**
 * Every image of a gateway's store a person reviewed, under the reviewer's label (the sidecar's
 * `review`), oldest first. `onProgress`: sidecars read so far.
 */
export async function reviewedInStore(
  storageDir: string,
  onProgress?: (read: number) => void,
): Promise<Sample[]> {
  const store = new ImageStore(storageDir, systemClock);
  const samples: Sample[] = [];
  let read = 0;
  for await (const sidecarPath of store.sidecars()) {
    onProgress?.(++read);
    let record: ImageRecord;
    try {
      record = JSON.parse(await readFile(sidecarPath, 'utf8')) as ImageRecord;
    } catch {
      continue;
    }
    const label = record.review?.label;
    if (typeof label !== 'string' || label.length === 0) continue;
    samples.push({
      path: sidecarPath.replace(/\.json$/, '.jpg'),
      label,
      device: record.imageId.split('/')[1],
      capturedAt: Date.parse(record.timings.storedAt),
      sha256: record.sha256,
    });
  }
  return samples;
}

/** The images of a folder of `<label>/*.jpg`. */
export async function samplesInFolder(dir: string): Promise<Sample[]> {
  const { labels, files } = await listDataset(dir);
  return files.map((file) => ({ path: file.path, label: labels[file.label]! }));
}

/** The small grey picture consecutive frames are compared at. */
const THUMBNAIL = { width: 80, height: 60, channels: 1 } as const;
/** A pixel differs from the frame before when it is this many levels apart (after the mean shift). */
const PIXEL_DIFFERS = 20;

/** The share of `a`'s pixels that differ from `b`'s, a change of overall brightness aside. */
export function changedShare(a: Uint8Array, b: Uint8Array): number {
  let shift = 0;
  for (let i = 0; i < a.length; i++) shift += a[i]! - b[i]!;
  shift /= a.length;
  let changed = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]! - shift) > PIXEL_DIFFERS) changed++;
  return changed / a.length;
}

/**
 * Pairs of images that show the same thing: consecutive frames of one camera that differ in less
 * than `nearIdentical` of their pixels (a line that stopped under the camera, a camera that
 * retriggered), compared as grey 80x60 pictures. `onProgress`: frames looked at.
 */
export async function nearIdenticalFrames(
  samples: readonly Sample[],
  nearIdentical: number,
  onProgress?: (done: number, total: number) => void,
): Promise<[number, number][]> {
  const byDevice = new Map<string, number[]>();
  samples.forEach((sample, index) => {
    if (sample.device !== undefined)
      byDevice.set(sample.device, [...(byDevice.get(sample.device) ?? []), index]);
  });
  const total = [...byDevice.values()].reduce((sum, members) => sum + members.length, 0);
  const pairs: [number, number][] = [];
  let done = 0;
  for (const members of byDevice.values()) {
    const inTime = [...members].sort((a, b) => (samples[a]!.capturedAt ?? 0) - (samples[b]!.capturedAt ?? 0));
    let previous: Uint8Array | undefined;
    for (const [position, index] of inTime.entries()) {
      let thumbnail: Uint8Array | undefined;
      try {
        thumbnail = await decodeToModelPixels(await readFile(samples[index]!.path), {
          size: THUMBNAIL,
          preprocessing: { crop: 'stretch', scaling: { divisor: 1, offset: 0 } },
        });
      } catch {
        thumbnail = undefined;
      }
      if (previous && thumbnail && changedShare(thumbnail, previous) < nearIdentical)
        pairs.push([inTime[position - 1]!, index]);
      previous = thumbnail;
      onProgress?.(++done, total);
    }
  }
  return pairs;
}

/**
 * Groups that must not be split: near-identical frames (`links`, see `nearIdenticalFrames`),
 * identical files (same sha256) wherever they are, and with `by: 'device'` every image of a
 * camera. Any other image is a group alone. Returns the group of each sample.
 */
export function groupSamples(
  samples: readonly Sample[],
  by: SplitBy,
  links: readonly (readonly [number, number])[],
): number[] {
  const group = samples.map((_, index) => index);
  const find = (index: number): number => {
    while (group[index] !== index) index = group[index] = group[group[index]!]!;
    return index;
  };
  const join = (a: number, b: number) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) group[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (const [a, b] of links) join(a, b);
  const first = new Map<string, number>();
  samples.forEach((sample, index) => {
    for (const key of [
      sample.sha256 === undefined ? undefined : `sha ${sample.sha256}`,
      by === 'device' && sample.device !== undefined ? `device ${sample.device}` : undefined,
    ]) {
      if (key === undefined) continue;
      const seen = first.get(key);
      if (seen === undefined) first.set(key, index);
      else join(seen, index);
    }
  });
  return samples.map((_, index) => find(index));
}

/**
 * Splits samples into train, validation and test without ever putting two images of one group
 * (see `groupSamples`) on two sides: the groups are split, label by label (a group counts under
 * the label most of its images have). By time, each label's newest groups are held out (test,
 * then validation): the model is tested on what came after what it learnt from (images of a
 * folder, without a time, are trained on). By device, the groups (whole cameras, and folder
 * images) are split in a seeded order.
 */
export function splitSamples(
  samples: readonly Sample[],
  labels: readonly string[],
  fractions: SplitFractions,
  options: {
    readonly by: SplitBy;
    readonly links: readonly (readonly [number, number])[];
    readonly seed: number;
  },
): Split & { readonly groups: number } {
  const groupOf = groupSamples(samples, options.by, options.links);
  const ids = [...new Set(groupOf)];
  const members = new Map(ids.map((id) => [id, [] as number[]]));
  groupOf.forEach((id, index) => members.get(id)!.push(index));
  const groups = ids.map((id) => members.get(id)!);
  const majority = groups.map((indices) => {
    const counts = new Map<string, number>();
    for (const index of indices)
      counts.set(samples[index]!.label, (counts.get(samples[index]!.label) ?? 0) + 1);
    const [label] = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    return labels.indexOf(label);
  });
  const newest =
    options.by === 'time'
      ? groups.map((indices) => Math.max(...indices.map((index) => samples[index]!.capturedAt ?? -Infinity)))
      : undefined;
  const split = stratifiedSplit(majority, fractions, options.seed, newest);
  const expand = (part: readonly number[]) => part.flatMap((group) => groups[group]!).sort((a, b) => a - b);
  return {
    train: expand(split.train),
    validation: expand(split.validation),
    test: expand(split.test),
    groups: groups.length,
  };
}

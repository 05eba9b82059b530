import { readFile } from 'node:fs/promises';
import { distribution, type Distribution, type UploadRecord } from '../../apps/esp-sim/src/index.js';
import { systemClock } from '../../src/common/clock.js';
import { ImageStore } from '../../src/storage/image-store.js';

/** What a sidecar tells of one image's way to its verdict (the fields the bench reads). */
interface SidecarTimes {
  readonly source: { readonly address: string; readonly port: number };
  readonly timings: { readonly storedAt: string };
  readonly analysis?: {
    readonly timings: {
      readonly queuedMs: number;
      readonly decodeMs: number | null;
      readonly inferenceMs: number | null;
      readonly waitedMs?: number;
      readonly batchSize?: number;
    };
  };
}

/** Where the time of the verdicts of one phase went, per image. */
export interface VerdictStages {
  /** Images of the phase found on disk with an analysis, matched to the camera that sent them. */
  readonly images: number;
  /** Image stored (the durable write done) → the classifier's result in the gateway's hands (`queuedMs`). */
  readonly classifierMs: Distribution;
  /** Of which waiting for the classifier (sidecar `waitedMs`, when the gateway records it). */
  readonly waitedMs: Distribution;
  /** Decoding and inference per image, as the classifier measured them (means over its batch). */
  readonly decodeMs: Distribution;
  readonly inferenceMs: Distribution;
  /** Images classified together (sidecar `batchSize`, when recorded). */
  readonly batchSize: Distribution;
  /** The camera's wait minus the classifier's part: whatever comes before the push (recording, the loop's turn). */
  readonly afterResultMs: Distribution;
}

const endpointKey = (address: string, port: number): string => `${address}:${port}`;

/**
 * Reads the sidecars stored since `sinceMs` (wall clock) and lines each up with the camera upload
 * that sent it (by source address and port, in order), to split each camera's wait for its verdict
 * into stages. Timestamps in sidecars have millisecond resolution.
 */
export async function verdictStages(
  storageDir: string,
  sinceMs: number,
  uploads: readonly UploadRecord[],
): Promise<VerdictStages> {
  const store = new ImageStore(storageDir, systemClock);
  const bySource = new Map<string, SidecarTimes[]>();
  for await (const path of store.sidecars()) {
    let record: SidecarTimes;
    try {
      record = JSON.parse(await readFile(path, 'utf8')) as SidecarTimes;
    } catch {
      continue;
    }
    if (Date.parse(record.timings.storedAt) < sinceMs || !record.analysis) continue;
    const key = endpointKey(record.source.address, record.source.port);
    bySource.set(key, [...(bySource.get(key) ?? []), record]);
  }
  for (const list of bySource.values())
    list.sort((a, b) => Date.parse(a.timings.storedAt) - Date.parse(b.timings.storedAt));
  const stages = {
    classifier: [] as number[],
    waited: [] as number[],
    decode: [] as number[],
    inference: [] as number[],
    batch: [] as number[],
    afterResult: [] as number[],
  };
  const taken = new Map<string, number>();
  const ordered = [...uploads].sort((a, b) => a.startedAtMs - b.startedAtMs);
  for (const upload of ordered) {
    const analysis = upload.result.analysis;
    if (!upload.result.ok || !analysis?.received) continue;
    const key = endpointKey(upload.source.address, upload.source.port);
    const index = taken.get(key) ?? 0;
    taken.set(key, index + 1);
    const timings = bySource.get(key)?.[index]?.analysis?.timings;
    if (!timings) continue;
    stages.classifier.push(timings.queuedMs);
    stages.afterResult.push(analysis.afterMs - timings.queuedMs);
    if (timings.decodeMs !== null) stages.decode.push(timings.decodeMs);
    if (timings.inferenceMs !== null) stages.inference.push(timings.inferenceMs);
    if (timings.waitedMs !== undefined) stages.waited.push(timings.waitedMs);
    if (timings.batchSize !== undefined) stages.batch.push(timings.batchSize);
  }
  return {
    images: stages.classifier.length,
    classifierMs: distribution(stages.classifier),
    waitedMs: distribution(stages.waited),
    decodeMs: distribution(stages.decode),
    inferenceMs: distribution(stages.inference),
    batchSize: distribution(stages.batch),
    afterResultMs: distribution(stages.afterResult),
  };
}

const ms = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(1)} ms`);

/** One line of the stages: `classifier p50 … p99 …; of which waiting …; decode …`. */
export function describeStages(stages: VerdictStages): string {
  const parts = [
    `${stages.images} images matched to their sidecars`,
    `image stored → result in the gateway p50 ${ms(stages.classifierMs.p50)}, p99 ${ms(stages.classifierMs.p99)}`,
  ];
  if (stages.waitedMs.count > 0)
    parts.push(
      `of which waiting for the classifier p50 ${ms(stages.waitedMs.p50)}, p99 ${ms(stages.waitedMs.p99)}`,
    );
  parts.push(
    `decode ${ms(stages.decodeMs.mean)} and inference ${ms(stages.inferenceMs.mean)} per image (means)`,
  );
  if (stages.batchSize.count > 0)
    parts.push(
      `batches of ${stages.batchSize.mean?.toFixed(1)} images on average (max ${stages.batchSize.max})`,
    );
  parts.push(
    `result in the gateway → camera p50 ${ms(stages.afterResultMs.p50)}, p99 ${ms(stages.afterResultMs.p99)}`,
  );
  return parts.join('; ');
}

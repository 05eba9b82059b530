import type { AnalysisRecord } from '../classification/classification.service.js';
import type { ImageRecord } from '../storage/image-record.js';

/** Where an image's analysis stands: not yet analysed, or the sidecar's `analysis.status`. */
export type AnalysisState = 'pending' | AnalysisRecord['status'];

export type VerdictName = NonNullable<AnalysisRecord['verdict']>;

export const VERDICT_NAMES: readonly VerdictName[] = ['pass', 'defect', 'uncertain'];
export const ANALYSIS_STATES: readonly AnalysisState[] = [
  'pending',
  'analysed',
  'undecodable',
  'unavailable',
];

/**
 * What everyone outside the gateway gets of one stored image: an item of `GET /api/images`, the
 * data of the live events, the MQTT and webhook payload. One flat shape, so that a consumer reads
 * the verdict where it reads the device.
 */
export interface ImageSummary {
  readonly imageId: string;
  readonly sha256: string;
  readonly deviceId: number;
  /** The device folder of the image id (`<device id>_<address>`): a camera, even among shared ids. */
  readonly deviceKey: string;
  readonly address: string;
  readonly port: number;
  readonly flowMode: string;
  readonly storedAt: string;
  readonly size: number;
  readonly packets: number;
  readonly status: AnalysisState;
  readonly verdict: VerdictName | null;
  readonly label: string | null;
  readonly confidence: number | null;
  /** The model's id (a hash of its files), when analysed. */
  readonly model: string | null;
  /** The model's name (its folder in MODELS_DIR), when analysed. */
  readonly modelName: string | null;
  readonly analysedAt: string | null;
}

/** The device folder of an image id (`<day>/<device id>_<address>/<name>`). */
export function deviceKeyOf(imageId: string): string {
  return imageId.split('/')[1] ?? '';
}

/** The analysis of a record, when its sidecar has one that reads as such. */
export function analysisOf(record: ImageRecord): AnalysisRecord | undefined {
  const analysis = record.analysis as AnalysisRecord | undefined;
  return typeof analysis === 'object' && analysis !== null && typeof analysis.status === 'string'
    ? analysis
    : undefined;
}

export function summarizeImage(record: ImageRecord): ImageSummary {
  const analysis = analysisOf(record);
  return {
    imageId: record.imageId,
    sha256: record.sha256,
    deviceId: record.deviceId,
    deviceKey: deviceKeyOf(record.imageId),
    address: record.source.address,
    port: record.source.port,
    flowMode: record.flowMode,
    storedAt: record.timings.storedAt,
    size: record.size,
    packets: record.packets,
    status: analysis?.status ?? 'pending',
    verdict: analysis?.verdict ?? null,
    label: analysis?.label ?? null,
    confidence: analysis?.confidence ?? null,
    model: analysis?.modelId ?? null,
    modelName: analysis?.model ?? null,
    analysedAt: analysis?.analysedAt ?? null,
  };
}

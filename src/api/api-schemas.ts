/**
 * The shapes the API answers with, as classes for the OpenAPI document (the gateway builds plain
 * objects of the matching interfaces; these only describe them).
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { DefectRate, DeviceSummary } from '../results/device-registry.js';
import { ANALYSIS_STATES, VERDICT_NAMES, type ImageSummary } from '../results/image-summary.js';

export class ImageSummarySchema implements ImageSummary {
  @ApiProperty({
    example: '2026-11-27/3_10.0.0.5/081502123-1a2b3c',
    description: 'Photo: /images/<imageId>.jpg',
  })
  imageId!: string;
  @ApiProperty({ description: 'Of the JPEG as stored.' })
  sha256!: string;
  @ApiProperty({ minimum: 0, maximum: 255 })
  deviceId!: number;
  @ApiProperty({ example: '3_10.0.0.5', description: 'The camera: device id and address.' })
  deviceKey!: string;
  @ApiProperty({ example: '10.0.0.5' })
  address!: string;
  @ApiProperty()
  port!: number;
  @ApiProperty({ enum: ['stop-and-wait', 'burst'] })
  flowMode!: string;
  @ApiProperty({ format: 'date-time' })
  storedAt!: string;
  @ApiProperty({ description: 'Bytes.' })
  size!: number;
  @ApiProperty()
  packets!: number;
  @ApiProperty({ enum: ANALYSIS_STATES })
  status!: ImageSummary['status'];
  @ApiProperty({ enum: VERDICT_NAMES, nullable: true })
  verdict!: ImageSummary['verdict'];
  @ApiProperty({ nullable: true, type: String })
  label!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The best score, 0 to 1.' })
  confidence!: number | null;
  @ApiProperty({ nullable: true, type: String, description: "The model's id (a hash of its files)." })
  model!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The model's name (its folder in MODELS_DIR)." })
  modelName!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  analysedAt!: string | null;
}

export class ImagePageSchema {
  @ApiProperty({ type: [ImageSummarySchema], description: 'Newest first.' })
  items!: ImageSummarySchema[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page.' })
  next!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'The oldest image the index holds: older ones are not listed (RESULTS_INDEX_MAX).',
  })
  indexedFrom!: string | null;
}

export class DefectRateSchema implements DefectRate {
  @ApiProperty({ description: 'Images with a verdict in the window.' })
  analysed!: number;
  @ApiProperty()
  defects!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'defects / analysed' })
  rate!: number | null;
}

class VerdictCountsSchema {
  @ApiProperty()
  pass!: number;
  @ApiProperty()
  defect!: number;
  @ApiProperty()
  uncertain!: number;
}

export class DeviceSummarySchema implements DeviceSummary {
  @ApiProperty({ example: '3_10.0.0.5' })
  deviceKey!: string;
  @ApiProperty()
  deviceId!: number;
  @ApiProperty()
  address!: string;
  @ApiProperty({ enum: ['stop-and-wait', 'burst'] })
  flowMode!: string;
  @ApiProperty({ format: 'date-time' })
  firstSeenAt!: string;
  @ApiProperty({ format: 'date-time' })
  lastSeenAt!: string;
  @ApiProperty()
  lastImageId!: string;
  @ApiProperty({ description: 'Images seen: the newest found on disk at start-up, and every one since.' })
  images!: number;
  @ApiProperty({ type: VerdictCountsSchema })
  verdicts!: VerdictCountsSchema;
  @ApiProperty({ description: 'Not analysed yet, undecodable, or analysis unavailable.' })
  withoutVerdict!: number;
  @ApiProperty({ type: DefectRateSchema })
  defectRateLastHour!: DefectRateSchema;
  @ApiProperty({ type: DefectRateSchema })
  defectRateLast100!: DefectRateSchema;
}

export class DeviceListSchema {
  @ApiProperty({ type: [DeviceSummarySchema], description: 'The most recently seen first.' })
  devices!: DeviceSummarySchema[];
}

export class StatsSchema {
  @ApiProperty({ example: '1h' })
  window!: string;
  @ApiProperty({ format: 'date-time' })
  since!: string;
  @ApiProperty({ format: 'date-time' })
  until!: string;
  @ApiProperty({
    description: 'False when the window reaches further back than the index (RESULTS_INDEX_MAX).',
  })
  complete!: boolean;
  @ApiProperty()
  images!: number;
  @ApiProperty({ type: VerdictCountsSchema })
  verdicts!: VerdictCountsSchema;
  @ApiProperty({ description: 'Per analysis state: pending, analysed, undecodable, unavailable.' })
  statuses!: Record<string, number>;
  @ApiProperty({
    description: 'Per best label of the model, over analysed images.',
    example: { good: 40, kink: 2 },
  })
  labels!: Record<string, number>;
}

export class ImageRecordSchema {
  @ApiProperty()
  imageId!: string;
  @ApiPropertyOptional({ description: "The classifier's analysis, once recorded." })
  analysis?: Record<string, unknown>;
}

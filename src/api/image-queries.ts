import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  ANALYSIS_STATES,
  VERDICT_NAMES,
  type AnalysisState,
  type VerdictName,
} from '../results/image-summary.js';
import type { ImageFilter, IndexPosition } from '../results/recent-images.js';
import { invalidParameters } from './query-validation.js';

/** A camera (`<device id>_<address>`, as in image ids) or a device id alone. */
const DEVICE = /^(\d{1,3}|\d{1,3}_[0-9A-Za-z.-]{1,64})$/;

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 1000;

/** Filters shared by the API's list and the page of the newest images. */
export class ImageFilterQuery {
  @ApiPropertyOptional({
    description:
      'A camera, `<device id>_<address>` as in image ids (`3_10.0.0.5`), or a device id alone (`3`).',
    example: '3_10.0.0.5',
  })
  @IsOptional()
  @Matches(DEVICE, { message: 'device must be a device id (0 to 255) or <device id>_<address>' })
  device?: string;

  @ApiPropertyOptional({ enum: VERDICT_NAMES })
  @IsOptional()
  @IsIn(VERDICT_NAMES)
  verdict?: VerdictName;
}

/** `GET /api/images` */
export class ListImagesQuery extends ImageFilterQuery {
  @ApiPropertyOptional({ enum: ANALYSIS_STATES, description: 'pending: not analysed yet.' })
  @IsOptional()
  @IsIn(ANALYSIS_STATES)
  status?: AnalysisState;

  @ApiPropertyOptional({ description: "The model's best label.", example: 'kink' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  label?: string;

  @ApiPropertyOptional({ description: 'Stored at or after (ISO 8601).', example: '2026-11-27T08:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'Stored before (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({ description: 'The `next` of the previous page.' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'cursor must be the next of a previous page' })
  cursor?: string;
}

/** The filter of the index a query asks for. */
export function filterOf(query: ImageFilterQuery & Partial<ListImagesQuery>): ImageFilter {
  const device =
    query.device === undefined ? undefined : /^\d+$/.test(query.device) ? Number(query.device) : query.device;
  return {
    device,
    verdict: query.verdict,
    status: query.status,
    label: query.label,
    sinceMs: query.since === undefined ? undefined : Date.parse(query.since),
    untilMs: query.until === undefined ? undefined : Date.parse(query.until),
  };
}

export function encodeCursor(position: IndexPosition): string {
  return Buffer.from(JSON.stringify([position.storedAtMs, position.imageId])).toString('base64url');
}

/** @throws a 400 naming `cursor` when it is not one this API made. */
export function decodeCursor(cursor: string): IndexPosition {
  try {
    const [storedAtMs, imageId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof storedAtMs === 'number' && Number.isFinite(storedAtMs) && typeof imageId === 'string')
      return { storedAtMs, imageId };
  } catch {
    // reported below
  }
  throw invalidParameters({ cursor: ['cursor must be the next of a previous page'] });
}

/** The shapes of the review API, for the OpenAPI document. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ImageSummarySchema } from '../api/api-schemas.js';

export class ReviewBodySchema {
  @ApiProperty({ example: 'kink' })
  label!: string;
  @ApiPropertyOptional({ description: 'Take a label no model knows yet.', default: false })
  newLabel?: boolean;
}

class ReviewImageSchema extends ImageSummarySchema {
  @ApiProperty({ nullable: true, type: Object, example: { good: 0.41, kink: 0.59 } })
  scores!: Record<string, number> | null;
  @ApiProperty({ example: '/images/2026-11-27/3_10.0.0.5/081502123-1a2b3c.jpg' })
  photo!: string;
}

class RemainingSchema {
  @ApiProperty()
  uncertain!: number;
  @ApiProperty()
  defect!: number;
  @ApiProperty()
  pass!: number;
}

export class ReviewNextSchema {
  @ApiProperty({ type: ReviewImageSchema, nullable: true, description: 'Null when nothing is left.' })
  image!: ReviewImageSchema | null;
  @ApiProperty({ enum: ['uncertain', 'defect', 'pass'], nullable: true })
  tier!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` to skip this image.' })
  cursor!: string | null;
  @ApiProperty({
    type: RemainingSchema,
    description: 'Images not reviewed yet in each part, this one included.',
  })
  remaining!: RemainingSchema;
  @ApiProperty({ type: [String], description: "The active model's labels, then those reviewers added." })
  labels!: string[];
}

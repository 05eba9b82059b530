import { Body, Controller, Delete, Get, Header, Param, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ImageRecordSchema } from '../api/api-schemas.js';
import type { ImageRecord } from '../storage/image-record.js';
import { ReviewBodySchema, ReviewNextSchema } from './review-schemas.js';
import { ReviewService, type ReviewBody, type ReviewNext } from './review.service.js';

const IMAGE_PARAMETERS = [
  { name: 'day', example: '2026-11-27' },
  { name: 'device', example: '3_10.0.0.5' },
  { name: 'name', example: '081502123-1a2b3c' },
] as const;

function ImageIdParameters(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const parameter of IMAGE_PARAMETERS) ApiParam(parameter)(target, key, descriptor);
  };
}

@ApiTags('review')
@Controller('api')
export class ReviewController {
  constructor(private readonly review: ReviewService) {}

  @Get('review/next')
  @ApiOperation({
    summary: 'The next image for a person to review',
    description:
      'From the index of recent images not reviewed yet: uncertain ones first, then defects, then a sample ' +
      '(REVIEW_PASS_SAMPLE) of the passes; least confident first in each part. Pass `cursor` as `after` ' +
      'to go past an image (skip it).',
  })
  @ApiQuery({ name: 'after', required: false, description: 'The `cursor` of the image to go past.' })
  @ApiOkResponse({ type: ReviewNextSchema })
  @ApiBadRequestResponse({ description: '`after` is not a cursor of the queue.' })
  @Header('Cache-Control', 'no-store')
  next(@Query('after') after?: string): ReviewNext {
    return this.review.next(after);
  }

  @Put('images/:day/:device/:name/review')
  @ApiOperation({
    summary: 'Records what a person says the image shows',
    description:
      "Written into the image's sidecar as `review: { label, at }` (never into the JPEG). The label must be " +
      "one of the active model's, of the image's analysis or one a reviewer added; a new one is taken with " +
      '`"newLabel": true`.',
  })
  @ImageIdParameters()
  @ApiBody({ type: ReviewBodySchema })
  @ApiOkResponse({ type: ImageRecordSchema, description: 'The record as now written.' })
  @ApiBadRequestResponse({ description: 'No label, or one not known without `newLabel`.' })
  @ApiNotFoundResponse({ description: 'No such image.' })
  @ApiConflictResponse({ description: 'The image is not analysed yet.' })
  put(
    @Param('day') day: string,
    @Param('device') device: string,
    @Param('name') name: string,
    @Body() body: ReviewBody,
  ): Promise<ImageRecord> {
    return this.review.review(`${day}/${device}/${name}`, body);
  }

  @Delete('images/:day/:device/:name/review')
  @ApiOperation({ summary: 'Takes the review of an image back (undo)' })
  @ImageIdParameters()
  @ApiOkResponse({ type: ImageRecordSchema, description: 'The record as now written.' })
  @ApiNotFoundResponse({ description: 'No such image.' })
  remove(
    @Param('day') day: string,
    @Param('device') device: string,
    @Param('name') name: string,
  ): Promise<ImageRecord> {
    return this.review.undo(`${day}/${device}/${name}`);
  }
}

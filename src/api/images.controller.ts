import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Query,
  type StreamableFile,
} from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ImageRecord } from '../storage/image-record.js';
import { ResultsService } from '../results/results.service.js';
import { ImagePageSchema, ImageRecordSchema } from './api-schemas.js';
import { decodeCursor, encodeCursor, filterOf, ListImagesQuery } from './image-queries.js';
import { streamJsonArray } from './json-stream.js';
import { QUERY_VALIDATION } from './query-validation.js';

@ApiTags('images')
@Controller('api/images')
export class ImagesController {
  constructor(private readonly results: ResultsService) {}

  @Get()
  @ApiOperation({
    summary: 'Stored images, newest first, with their analysis',
    description:
      'From the index of the newest RESULTS_INDEX_MAX images. Cursor pagination: pass `next` as `cursor` ' +
      'for the next page; a 400 names every bad parameter.',
  })
  @ApiOkResponse({ type: ImagePageSchema })
  @Header('Cache-Control', 'no-store')
  list(@Query(QUERY_VALIDATION) query: ListImagesQuery): StreamableFile {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const items = [];
    let more = false;
    for (const image of this.results.images.newest(filterOf(query), after)) {
      if (items.length === query.limit) {
        more = true;
        break;
      }
      items.push(image);
    }
    const last = items[items.length - 1];
    const next = more && last ? encodeCursor(last) : null;
    const oldest = this.results.images.oldestStoredAtMs;
    const indexedFrom = oldest === undefined ? null : new Date(oldest).toISOString();
    return streamJsonArray(
      '{"items":',
      items.map((image) => image.summary),
      `,"next":${JSON.stringify(next)},"indexedFrom":${JSON.stringify(indexedFrom)}}`,
    );
  }

  @Get(':day/:device/:name')
  @ApiOperation({
    summary: 'The whole record of one image (its sidecar)',
    description: 'The photo itself is at /images/<imageId>.jpg.',
  })
  @ApiParam({ name: 'day', example: '2026-11-27' })
  @ApiParam({ name: 'device', example: '3_10.0.0.5' })
  @ApiParam({ name: 'name', example: '081502123-1a2b3c' })
  @ApiOkResponse({ type: ImageRecordSchema })
  @ApiNotFoundResponse({ description: 'No such image (or it was pruned).' })
  @Header('Cache-Control', 'no-store')
  async one(
    @Param('day') day: string,
    @Param('device') device: string,
    @Param('name') name: string,
  ): Promise<ImageRecord> {
    const record = await this.results.record(`${day}/${device}/${name}`);
    if (!record) throw new NotFoundException(`no image ${day}/${device}/${name}`);
    return record;
  }
}

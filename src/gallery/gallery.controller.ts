import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import {
  Controller,
  DefaultValuePipe,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  ParseIntPipe,
  Query,
  StreamableFile,
} from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ImageRecord } from '../storage/image-record.js';
import { ImageStore } from '../storage/image-store.js';
import { renderGalleryPage } from './gallery-page.js';

/** Images on the page unless `?count=` says otherwise, and the most it shows. */
const DEFAULT_COUNT = 48;
const MAX_COUNT = 500;

/**
 * `GET /images`: a page of the newest stored images with their verdicts, for people on the line;
 * `GET /images/<image id>.jpg`: one stored photo. Only ids the store makes are served.
 */
@Controller('images')
export class GalleryController {
  constructor(
    private readonly images: ImageStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async page(
    @Query('count', new DefaultValuePipe(DEFAULT_COUNT), ParseIntPipe) count: number,
  ): Promise<string> {
    const sidecars = await this.images.newestSidecars(Math.min(MAX_COUNT, Math.max(1, count)));
    const records = await Promise.all(
      sidecars.map(async (path) => {
        try {
          return JSON.parse(await readFile(path, 'utf8')) as ImageRecord;
        } catch {
          // Being rewritten, or removed meanwhile: left off this page.
          return undefined;
        }
      }),
    );
    return renderGalleryPage(
      records.filter((record): record is ImageRecord => record !== undefined),
      new Date(this.clock.now()),
    );
  }

  @Get(':day/:device/:file')
  @Header('Content-Type', 'image/jpeg')
  @Header('Cache-Control', 'private, max-age=3600')
  async photo(
    @Param('day') day: string,
    @Param('device') device: string,
    @Param('file') file: string,
  ): Promise<StreamableFile> {
    const path = file.endsWith('.jpg')
      ? this.images.imagePathOf(`${day}/${device}/${file.slice(0, -4)}`)
      : undefined;
    if (!path) throw new NotFoundException();
    try {
      const { size } = await stat(path);
      return new StreamableFile(createReadStream(path), { length: size });
    } catch {
      throw new NotFoundException();
    }
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Controller, Get, Inject, Logger, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isLoggableCount } from '#udp-transport';
import { filterOf } from '../api/image-queries.js';
import { QUERY_VALIDATION } from '../api/query-validation.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { LiveEvents } from '../live/live-events.js';
import { ResultsService } from '../results/results.service.js';
import { StoredFileUnavailable, type OpenStoredFile } from '../storage/stored-file.js';
import { WebAssets } from '../web/web-assets.js';
import { WebMetrics } from '../web/web-metrics.js';
import { renderGalleryPage } from './gallery-page.js';
import { GalleryQuery } from './gallery-query.js';

/** Rendered pages kept (one per distinct query), each until the index changes. */
const CACHED_PAGES = 32;

interface CachedPage {
  readonly version: number;
  readonly body: Buffer;
}

/**
 * `GET /images`: the page of the newest stored images with their verdicts, filtered by device and
 * verdict, updated live by its script; `GET /images/<image id>.jpg`: one stored photo. The page
 * is rendered from the in-memory index once per change of it and query, then only written out.
 */
@ApiExcludeController()
@Controller('images')
export class GalleryController {
  private readonly logger = new Logger('Gallery');
  private readonly pages = new Map<string, CachedPage>();
  private refusedPhotos = 0;

  constructor(
    private readonly results: ResultsService,
    private readonly assets: WebAssets,
    private readonly metrics: WebMetrics,
    private readonly live: LiveEvents,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  page(@Query(QUERY_VALIDATION) query: GalleryQuery, @Res() response: ServerResponse): void {
    const page = this.render(query);
    response
      .writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': page.body.length,
        'Cache-Control': 'no-store',
      })
      .end(page.body);
  }

  @Get(':day/:device/:file')
  async photo(
    @Param('day') day: string,
    @Param('device') device: string,
    @Param('file') file: string,
    @Req() request: IncomingMessage,
    @Res() response: ServerResponse,
  ): Promise<void> {
    const imageId = `${day}/${device}/${file.slice(0, -'.jpg'.length)}`;
    let photo: OpenStoredFile;
    try {
      if (!file.endsWith('.jpg')) throw new StoredFileUnavailable('missing', file);
      photo = await this.results.openPhoto(imageId);
    } catch (error) {
      throw this.unavailable(imageId, error);
    }
    const sha256 = this.results.images.get(imageId)?.summary.sha256;
    const etag = sha256 === undefined ? undefined : `"${sha256}"`;
    const headers: Record<string, string | number> = {
      'Content-Type': 'image/jpeg',
      // A stored photo never changes: keep it, an hour.
      'Cache-Control': 'private, max-age=3600, immutable',
      ...(etag ? { ETag: etag } : {}),
    };
    if (etag && request.headers['if-none-match'] === etag) {
      await photo.handle.close();
      response.writeHead(304, headers).end();
      return;
    }
    response.writeHead(200, { ...headers, 'Content-Length': photo.size });
    // A client that goes away mid-photo is no error of ours; the stream closes the file.
    await pipeline(photo.handle.createReadStream(), response).catch(() => undefined);
  }

  private render(query: GalleryQuery): CachedPage {
    const key = `${query.count}|${query.device ?? ''}|${query.verdict ?? ''}`;
    const version = this.results.images.version;
    const cached = this.pages.get(key);
    if (cached && cached.version === version) return cached;
    const images = [];
    for (const image of this.results.images.newest(filterOf(query))) {
      images.push(image.summary);
      if (images.length === query.count) break;
    }
    const now = this.clock.now();
    const body = Buffer.from(
      renderGalleryPage(
        {
          images,
          devices: this.results.devices.summaries(now),
          filter: { device: query.device ?? null, verdict: query.verdict ?? null },
          count: query.count,
          generatedAt: new Date(now).toISOString(),
          liveFrom: this.live.lastId,
        },
        {
          script: this.assets.url('gallery.js'),
          styles: [this.assets.url('page.css'), this.assets.url('gallery.css')],
        },
      ),
    );
    const page = { version, body };
    if (!this.pages.has(key) && this.pages.size >= CACHED_PAGES) this.pages.clear();
    this.pages.set(key, page);
    return page;
  }

  /** A 404 for a photo, counted; a refused one (a link out of the store) logged at 1, 2, 4, 8… */
  private unavailable(imageId: string, error: unknown): NotFoundException {
    const reason = error instanceof StoredFileUnavailable ? error.reason : 'missing';
    this.metrics.photoUnavailable(reason);
    if ((reason === 'outside-store' || reason === 'not-a-file') && isLoggableCount(++this.refusedPhotos)) {
      this.logger.warn({
        msg: 'photo refused: not a regular file of the store (a symbolic link?)',
        imageId,
        reason,
        refusedSoFar: this.refusedPhotos,
      });
    }
    return new NotFoundException();
  }
}

import type { ServerResponse } from 'node:http';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { renderPageDocument } from '../web/page-document.js';
import { WebAssets } from '../web/web-assets.js';

/**
 * `GET /review`: the page where a person labels the images the model is unsure of, from the
 * keyboard. The page is the same for everyone (its script asks `/api/review/next`): rendered once.
 */
@ApiExcludeController()
@Controller('review')
export class ReviewPageController {
  private page: Buffer | undefined;

  constructor(private readonly assets: WebAssets) {}

  @Get()
  serve(@Res() response: ServerResponse): void {
    this.page ??= Buffer.from(
      renderPageDocument({
        title: 'cable-inspector: review',
        scripts: [this.assets.url('review.js')],
        styles: [this.assets.url('page.css'), this.assets.url('review.css')],
        data: {},
        fallback:
          '<h1>Review</h1><p>This page needs JavaScript; the same queue is at ' +
          '<a href="/api/review/next">/api/review/next</a>.</p>',
      }),
    );
    response
      .writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': this.page.length,
        'Cache-Control': 'no-store',
      })
      .end(this.page);
  }
}

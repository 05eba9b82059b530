import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { WebAssets } from './web-assets.js';

/** `GET /assets/<name>`: the pages' scripts and style sheets. */
@ApiExcludeController()
@Controller('assets')
export class WebAssetsController {
  constructor(private readonly assets: WebAssets) {}

  @Get(':name')
  serve(@Param('name') name: string, @Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException();
    const headers = { ETag: asset.etag, 'Cache-Control': 'no-cache' };
    if (request.headers['if-none-match'] === asset.etag) {
      response.writeHead(304, headers).end();
      return;
    }
    response
      .writeHead(200, { ...headers, 'Content-Type': asset.contentType, 'Content-Length': asset.body.length })
      .end(asset.body);
  }
}

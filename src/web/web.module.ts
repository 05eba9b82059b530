import { Module } from '@nestjs/common';
import { LiveModule } from '../live/live.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { WebAssets } from './web-assets.js';
import { WebAssetsController } from './web-assets.controller.js';
import { WebMetrics } from './web-metrics.js';

/** The front end of the gateway's pages: `web/` served at `/assets`, and the pages' metrics. */
@Module({
  imports: [MetricsModule, LiveModule],
  controllers: [WebAssetsController],
  providers: [{ provide: WebAssets, useFactory: () => new WebAssets() }, WebMetrics],
  exports: [WebAssets, WebMetrics],
})
export class WebModule {}

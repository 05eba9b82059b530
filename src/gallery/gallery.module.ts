import { Module } from '@nestjs/common';
import { ResultsModule } from '../results/results.module.js';
import { WebModule } from '../web/web.module.js';
import { GalleryController } from './gallery.controller.js';

/** The page of the newest images and their photos, on the HTTP side beside health and metrics. */
@Module({
  imports: [ResultsModule, WebModule],
  controllers: [GalleryController],
})
export class GalleryModule {}

import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module.js';
import { GalleryController } from './gallery.controller.js';

/** The page of the newest images, on the HTTP side beside health and metrics. */
@Module({
  imports: [StorageModule],
  controllers: [GalleryController],
})
export class GalleryModule {}

import { Inject, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { Environment } from '../config/index.js';
import { ImageStore } from './image-store.js';
import { StoreEvents } from './store-events.js';

@Injectable()
class StorageStartup implements OnModuleInit {
  private readonly logger = new Logger('Storage');

  constructor(@Inject(ImageStore) private readonly images: ImageStore) {}

  async onModuleInit(): Promise<void> {
    const removed = await this.images.prepare();
    this.logger.log(`images stored under ${this.images.root}; ${removed} leftover temporary file(s) removed`);
  }
}

@Module({
  providers: [
    StoreEvents,
    {
      provide: ImageStore,
      inject: [Environment, CLOCK, StoreEvents],
      useFactory: (env: Environment, clock: Clock, events: StoreEvents) =>
        new ImageStore(env.STORAGE_DIR, clock, events),
    },
    StorageStartup,
  ],
  exports: [ImageStore, StoreEvents],
})
export class StorageModule {}

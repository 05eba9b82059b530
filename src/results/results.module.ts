import { Module } from '@nestjs/common';
import { ClassificationModule } from '../classification/classification.module.js';
import { LiveModule } from '../live/live.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TransfersModule } from '../transfers/transfers.module.js';
import { ResultsEvents } from './results-events.js';
import { ResultsService } from './results.service.js';

/** The index of recent images and the registry of devices, in memory, with the live events they raise. */
@Module({
  imports: [StorageModule, TransfersModule, ClassificationModule, LiveModule],
  providers: [ResultsEvents, ResultsService],
  exports: [ResultsService, ResultsEvents, LiveModule],
})
export class ResultsModule {}

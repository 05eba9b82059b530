import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module.js';
import { TransfersModule } from '../transfers/transfers.module.js';
import { ClassificationEvents } from './classification-events.js';
import { ClassificationService } from './classification.service.js';
import { ConfirmController } from './confirm.controller.js';
import { ResultPusher } from './result-pusher.js';

@Module({
  imports: [TransfersModule, StorageModule],
  controllers: [ConfirmController],
  providers: [ClassificationEvents, ResultPusher, ClassificationService],
  exports: [ClassificationService, ClassificationEvents, ResultPusher],
})
export class ClassificationModule {}

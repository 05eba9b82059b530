import { Module } from '@nestjs/common';
import { Environment } from '../config/index.js';
import { ModelCatalog } from './model-catalog.js';
import { StorageModule } from '../storage/storage.module.js';
import { TransfersModule } from '../transfers/transfers.module.js';
import { ClassificationEvents } from './classification-events.js';
import { ClassificationService } from './classification.service.js';
import { ConfirmController } from './confirm.controller.js';
import { ResultPusher } from './result-pusher.js';

@Module({
  imports: [TransfersModule, StorageModule],
  controllers: [ConfirmController],
  providers: [
    ClassificationEvents,
    ResultPusher,
    ClassificationService,
    {
      provide: ModelCatalog,
      inject: [Environment],
      useFactory: (env: Environment) => new ModelCatalog(env.MODELS_DIR, env.MODEL_DIR),
    },
  ],
  exports: [ClassificationService, ClassificationEvents, ResultPusher, ModelCatalog],
})
export class ClassificationModule {}

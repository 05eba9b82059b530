import { Module } from '@nestjs/common';
import { ClassificationModule } from '../classification/classification.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ResultsModule } from '../results/results.module.js';
import { ModelsController } from './models.controller.js';
import { ModelsService } from './models.service.js';

/** The models as versions under /api/models: list, activate, shadow, compare. */
@Module({
  imports: [ClassificationModule, ResultsModule, MetricsModule],
  controllers: [ModelsController],
  providers: [ModelsService],
  exports: [ModelsService],
})
export class ModelsModule {}

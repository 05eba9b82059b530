import { Module } from '@nestjs/common';
import { ClassificationModule } from '../classification/classification.module.js';
import { TransfersModule } from '../transfers/transfers.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({
  imports: [TransfersModule, ClassificationModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}

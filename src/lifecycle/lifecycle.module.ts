import { Module } from '@nestjs/common';
import { ClassificationModule } from '../classification/classification.module.js';
import { TransfersModule } from '../transfers/transfers.module.js';
import { GatewayLifecycle } from './gateway-lifecycle.js';

@Module({
  imports: [TransfersModule, ClassificationModule],
  providers: [GatewayLifecycle],
  exports: [GatewayLifecycle],
})
export class LifecycleModule {}

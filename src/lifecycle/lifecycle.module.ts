import { Module } from '@nestjs/common';
import { TransfersModule } from '../transfers/transfers.module.js';
import { GatewayLifecycle } from './gateway-lifecycle.js';

@Module({
  imports: [TransfersModule],
  providers: [GatewayLifecycle],
  exports: [GatewayLifecycle],
})
export class LifecycleModule {}

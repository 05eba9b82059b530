import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ClassificationModule } from '../classification/classification.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { RetentionModule } from '../retention/retention.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { GatewayHealth } from './gateway-health.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot(), StorageModule, RetentionModule, LifecycleModule, ClassificationModule],
  controllers: [HealthController],
  providers: [GatewayHealth],
})
export class HealthModule {}

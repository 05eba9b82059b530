import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { GatewayHealth } from './gateway-health.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot(), StorageModule, LifecycleModule],
  controllers: [HealthController],
  providers: [GatewayHealth],
})
export class HealthModule {}

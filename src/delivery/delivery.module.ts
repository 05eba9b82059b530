import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ResultsModule } from '../results/results.module.js';
import { DeliveryService } from './delivery.service.js';

/** Results out of the gateway: MQTT and a webhook, through one durable outbox. */
@Module({
  imports: [ResultsModule, MetricsModule],
  providers: [DeliveryService],
})
export class DeliveryModule {}

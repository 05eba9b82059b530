import { Module, type DynamicModule } from '@nestjs/common';
import { ApiModule } from './api/api.module.js';
import { ClassificationModule } from './classification/classification.module.js';
import { DeliveryModule } from './delivery/delivery.module.js';
import { AppConfigModule, type Environment } from './config/index.js';
import { GalleryModule } from './gallery/gallery.module.js';
import { HealthModule } from './health/health.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { LiveModule } from './live/live.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ModelsModule } from './models/models.module.js';
import { PingController } from './ping/ping.controller.js';
import { RetentionModule } from './retention/retention.module.js';
import { ReviewModule } from './review/review.module.js';
import { TransfersModule } from './transfers/transfers.module.js';
import { UdpGatewayModule } from './udp/udp-gateway.module.js';
import { WebModule } from './web/web.module.js';

/**
 * The gateway: UDP transfers, storage and its retention; over HTTP health, metrics, the JSON API
 * with its live stream, and the page of the newest images.
 */
@Module({})
export class AppModule {
  static register(env: Environment): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.register(env),
        UdpGatewayModule,
        TransfersModule,
        RetentionModule,
        ClassificationModule,
        LifecycleModule,
        HealthModule,
        MetricsModule,
        LiveModule,
        ApiModule,
        ModelsModule,
        ReviewModule,
        DeliveryModule,
        WebModule,
        GalleryModule,
      ],
      controllers: [PingController],
    };
  }
}

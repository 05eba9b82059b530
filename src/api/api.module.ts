import { Module } from '@nestjs/common';
import { ResultsModule } from '../results/results.module.js';
import { DevicesController } from './devices.controller.js';
import { ImagesController } from './images.controller.js';
import { StatsController } from './stats.controller.js';

/** The JSON API under /api (described at /api/docs); the live stream is the live module's. */
@Module({
  imports: [ResultsModule],
  controllers: [ImagesController, DevicesController, StatsController],
})
export class ApiModule {}

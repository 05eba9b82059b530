import { Module } from '@nestjs/common';
import { LiveController } from './live.controller.js';
import { LiveEvents } from './live-events.js';

/** The live stream: one service any module publishes to, served at `GET /api/events`. */
@Module({
  controllers: [LiveController],
  providers: [LiveEvents],
  exports: [LiveEvents],
})
export class LiveModule {}

import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { GatewayHealth } from './gateway-health.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly gateway: GatewayHealth,
  ) {}

  /** The process and its event loop are alive. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.gateway.eventLoop()]);
  }

  /** Route traffic here: socket bound, storage writable with room, model loaded, not shutting down. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.gateway.udpSocket(),
      () => this.gateway.storage(),
      () => this.gateway.model(),
      () => this.gateway.acceptingWork(),
    ]);
  }
}

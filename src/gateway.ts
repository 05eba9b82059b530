import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { UdpServer } from '#udp-transport';
import { AppModule } from './app.module.js';
import type { Environment } from './config/index.js';
import { GatewayLifecycle } from './lifecycle/gateway-lifecycle.js';
import { createPino, PinoLogger } from './logging/pino-logger.js';

/** A running gateway and the one way to stop it cleanly. */
export interface Gateway {
  readonly app: INestApplication;
  /** Drains (see `GatewayLifecycle`), then closes HTTP and UDP. Idempotent. */
  stop(signal?: string): Promise<void>;
}

/**
 * Starts the whole gateway from a validated environment: the HTTP side first (so every
 * lifecycle hook has run), then the UDP transport. Resolves once both listen.
 */
export async function startGateway(env: Environment): Promise<Gateway> {
  const logger = new PinoLogger(createPino(env));
  // forceCloseConnections: keep-alive HTTP clients (probes, scrapers) must not hold the exit back.
  const app = await NestFactory.create(AppModule.register(env), { logger, forceCloseConnections: true });
  app.connectMicroservice({ strategy: app.get(UdpServer) }, { inheritAppConfig: true });
  await app.listen(env.HTTP_PORT, env.HTTP_HOST);
  await app.startAllMicroservices();
  let stopping: Promise<void> | undefined;
  return {
    app,
    stop(signal = 'stop') {
      stopping ??= app
        .get(GatewayLifecycle)
        .drain(signal)
        .then(() => app.close());
      return stopping;
    },
  };
}

import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { UdpServer } from '#udp-transport';
import { serveOpenApi } from './openapi.js';
import { AppModule } from './app.module.js';
import { RequestPacer } from './http/request-pacer.js';
import type { Environment } from './config/index.js';
import { GatewayLifecycle } from './lifecycle/gateway-lifecycle.js';
import { createPino, PinoLogger } from './logging/pino-logger.js';

/** HTTP requests waiting for their turn past which more are answered 503 (see RequestPacer). */
const MAX_WAITING_REQUESTS = 4096;

/** Probes and scrapes: answered at once, whatever the load of the pages and the API. */
const URGENT_PATHS = /^\/(health|metrics)(\/|\?|$)/;

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
  new RequestPacer({
    batchMs: env.HTTP_BATCH_MS,
    loopShare: env.HTTP_LOOP_SHARE,
    maxWaiting: MAX_WAITING_REQUESTS,
    isUrgent: (request) => URGENT_PATHS.test(request.url ?? ''),
  }).install(app.getHttpServer());
  serveOpenApi(app);
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

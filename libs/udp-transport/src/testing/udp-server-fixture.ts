import type { Socket } from 'node:dgram';
import { afterEach, beforeEach } from 'node:test';
import type { MessageHandler } from '@nestjs/microservices';
import type { UdpContext } from '../udp-context.js';
import { UdpServer } from '../udp-server.js';
import type { UdpServerOptions } from '../udp-server-options.js';
import { PipeDecoder } from './pipe-decoder.js';
import { RecordingLogger } from './recording-logger.js';
import { UdpProbe } from './udp-probe.js';

/** Registers a plain function as a handler (Nest types handlers as returning promises). */
export function handler(fn: (data: Buffer, context: UdpContext) => unknown): MessageHandler {
  return fn as MessageHandler;
}

/** Resolves with the error `listen` reported, `undefined` once bound. */
export function listen(server: UdpServer): Promise<unknown> {
  return new Promise((resolve) => server.listen((error?: unknown) => resolve(error)));
}

export function portOf(server: UdpServer): number {
  return server.unwrap<Socket>().address().port;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Test support, not exported by the package index: the server a spec talks to (on 127.0.0.1, an
 * `echo` handler registered), its logger, and the probe that talks to it; `use()` opens a probe
 * before each test and closes both after it.
 */
export class UdpServerFixture {
  server!: UdpServer;
  logger!: RecordingLogger;
  probe!: UdpProbe;
  port!: number;

  static use(): UdpServerFixture {
    const fixture = new UdpServerFixture();
    beforeEach(async () => {
      fixture.probe = await UdpProbe.open();
    });
    afterEach(async () => {
      await fixture.server?.close();
      await fixture.probe.close();
    });
    return fixture;
  }

  async start(options: Partial<UdpServerOptions> = {}): Promise<void> {
    this.logger = new RecordingLogger();
    this.server = new UdpServer({
      host: '127.0.0.1',
      port: 0,
      decoder: new PipeDecoder(),
      logger: this.logger,
      ...options,
    });
    this.server.addHandler(
      'echo',
      handler((data) => data),
    );
    const error = await listen(this.server);
    if (error !== undefined) throw error;
    this.port = portOf(this.server);
  }
}

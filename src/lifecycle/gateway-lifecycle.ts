import { Injectable, Logger } from '@nestjs/common';
import { Environment } from '../config/index.js';
import { TransfersService } from '../transfers/transfers.service.js';

/**
 * Graceful shutdown, in order: readiness fails at once (the orchestrator stops routing), new
 * uploads are refused (busy), transfers in progress get up to SHUTDOWN_GRACE_MS to finish, and
 * every write under way completes. Closing the sockets is left to the application afterwards.
 */
@Injectable()
export class GatewayLifecycle {
  private readonly logger = new Logger('Lifecycle');
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly env: Environment,
    private readonly transfers: TransfersService,
  ) {}

  get shuttingDown(): boolean {
    return this.stopping !== undefined;
  }

  /** Idempotent: a second signal waits for the same drain. */
  drain(signal: string): Promise<void> {
    this.stopping ??= this.runDrain(signal);
    return this.stopping;
  }

  private async runDrain(signal: string): Promise<void> {
    const active = this.transfers.activeTransfers;
    this.logger.log({ msg: 'shutting down: refusing new uploads', signal, activeTransfers: active });
    this.transfers.beginDrain();
    const aborted = await this.transfers.drain(this.env.SHUTDOWN_GRACE_MS);
    this.logger.log({ msg: 'drained', abortedTransfers: aborted });
  }
}

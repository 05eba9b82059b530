import { Injectable, Logger } from '@nestjs/common';
import { Environment } from '../config/index.js';
import { ClassificationService } from '../classification/classification.service.js';
import { ResultPusher } from '../classification/result-pusher.js';
import { TransfersService } from '../transfers/transfers.service.js';

/**
 * Graceful shutdown, in order: readiness fails at once (the orchestrator stops routing), new
 * uploads are refused (busy), transfers in progress get up to SHUTDOWN_GRACE_MS to finish (the
 * unfinished stay in the spool), every write under way completes, and within the same grace the
 * classifier finishes its queue. Closing the sockets is left to the application afterwards.
 */
@Injectable()
export class GatewayLifecycle {
  private readonly logger = new Logger('Lifecycle');
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly env: Environment,
    private readonly transfers: TransfersService,
    private readonly classification: ClassificationService,
    private readonly results: ResultPusher,
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
    const deadline = Date.now() + this.env.SHUTDOWN_GRACE_MS;
    const unfinished = await this.transfers.drain(this.env.SHUTDOWN_GRACE_MS);
    // Images already stored but not analysed yet are picked up at the next start. Results are not
    // waited for: deployed firmware never confirms them, and every one was sent at least once.
    await this.classification.settle(Math.max(0, deadline - Date.now()));
    this.logger.log({
      msg: 'drained',
      unfinishedTransfers: unfinished,
      unconfirmedResults: this.results.pendingCount,
    });
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { Environment } from '../config/index.js';
import { ClassificationService } from '../classification/classification.service.js';
import { ResultPusher } from '../classification/result-pusher.js';
import { TransfersService } from '../transfers/transfers.service.js';

/** How long, at most, the classifier may take on SIGTERM to finish the images it is working on. */
const CLASSIFIER_STOP_MS = 1000;

/**
 * Graceful shutdown, quick so that a rolling redeploy stays within the cameras' patience:
 * readiness fails at once (the orchestrator stops routing), new uploads are refused (busy), the
 * images being written complete (SHUTDOWN_GRACE_MS at most), the spool is written — transfers in
 * progress are not waited for: they resume in the next process —, and the classifier gets a
 * moment for what it is working on (what it has not reached is classified at the next start).
 * Closing the sockets is left to the application afterwards.
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
    const unfinished = await this.transfers.drain(this.env.SHUTDOWN_GRACE_MS);
    // Images already stored but not analysed yet are picked up at the next start. Results are not
    // waited for: deployed firmware never confirms them, and every one was sent at least once.
    await this.classification.settle(CLASSIFIER_STOP_MS);
    this.logger.log({
      msg: 'drained',
      unfinishedTransfers: unfinished,
      unconfirmedResults: this.results.pendingCount,
    });
  }
}

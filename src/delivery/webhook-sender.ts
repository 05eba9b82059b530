import { Logger } from '@nestjs/common';
import { isLoggableCount } from '#udp-transport';
import { VERSION } from '../common/version.js';
import { Backoff } from './backoff.js';
import type { Outbox } from './outbox.js';
import type { OutboxEntry } from './outbox-log.js';

/** The outbox's name for this sink. */
export const WEBHOOK_SINK = 'webhook';

export interface WebhookSettings {
  readonly url: string;
  readonly timeoutMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

export interface WebhookObserver {
  published(count: number): void;
  /** A request that failed and is retried. */
  failed(): void;
  /** A result the receiver refused for good (a 4xx other than 408 and 429): skipped. */
  rejected(): void;
}

/** Answers that mean "try again": a timeout, too many requests, or the receiver's own failure. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * POSTs the outbox's results to a webhook, one at a time and in order, each until it is
 * answered 2xx; a failure waits a backoff and tries the same result again. `Idempotency-Key`
 * carries the image id, for receivers that drop what they already have.
 */
export class WebhookSender {
  private readonly logger = new Logger('Webhook');
  private readonly backoff: Backoff;
  private busy = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private current: AbortController | undefined;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly outbox: Outbox,
    private readonly observer: WebhookObserver,
  ) {
    this.backoff = new Backoff(settings.retryMinMs, settings.retryMaxMs);
    outbox.on('appended', () => this.pump());
  }

  start(): void {
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.current?.abort();
  }

  private pump(): void {
    if (this.busy || this.stopped || this.retryTimer) return;
    const [entry] = this.outbox.take(this.outbox.cursor(WEBHOOK_SINK), 1);
    if (!entry) return;
    this.busy = true;
    void this.deliver(entry).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    this.current = new AbortController();
    const timer = setTimeout(() => this.current?.abort(), this.settings.timeoutMs);
    let status: number | undefined;
    let problem: string | undefined;
    try {
      const response = await fetch(this.settings.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': entry.imageId,
          'User-Agent': `cable-inspector/${VERSION}`,
        },
        body: entry.payload,
        signal: this.current.signal,
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      problem = (error as Error).message;
    } finally {
      clearTimeout(timer);
    }
    if (this.stopped) return;
    if (status !== undefined && status >= 200 && status < 300) {
      this.backoff.reset();
      this.outbox.confirm(WEBHOOK_SINK, entry.seq);
      this.observer.published(1);
      return;
    }
    if (status !== undefined && !retryable(status)) {
      this.logger.warn({ msg: 'webhook refused a result; skipped', imageId: entry.imageId, status });
      this.outbox.confirm(WEBHOOK_SINK, entry.seq);
      this.observer.rejected();
      return;
    }
    this.observer.failed();
    const delay = this.backoff.next();
    if (isLoggableCount(++this.failures)) {
      this.logger.warn({
        msg: 'webhook failed; retrying',
        status,
        error: problem,
        inMs: delay,
        failuresSoFar: this.failures,
      });
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
    this.retryTimer.unref();
  }
}

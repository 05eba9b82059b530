import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { isLoggableCount } from '#udp-transport';
import { RetentionEvents } from './retention-events.js';

/** Crash leftovers logged one by one; past this many, only the scan's summary counts them. */
const LOGGED_LEFTOVERS = 10;

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * Retention's log: one line per pruning pass (images and bytes removed, why, the oldest image
 * kept), the start-up scan's progress and summary, each crash leftover removed (the first few,
 * then their count), and a warning when nothing more can go but room is still wanted.
 */
@Injectable()
export class RetentionLog implements OnModuleInit {
  private readonly logger = new Logger('Retention');
  private leftovers = 0;
  private unmetPasses = 0;
  private failures = 0;

  constructor(private readonly events: RetentionEvents) {}

  onModuleInit(): void {
    this.events.on('pass', (report, durationMs) => {
      const images = report.pruned.age + report.pruned.size + report.pruned.disk;
      const line = {
        images,
        bytes: report.bytes,
        reasons: report.pruned,
        oldestKept: iso(report.oldestKeptAt),
        storedBytes: report.storedBytes,
        storedImages: report.storedImages,
        freeBytes: report.freeBytes ?? null,
        ms: Math.round(durationMs),
      };
      if (!report.unmet) {
        this.unmetPasses = 0;
        this.logger.log({ msg: 'pruning pass', ...line });
        return;
      }
      // Retried every few seconds while it lasts: logged at its 1st, 2nd, 4th, 8th… pass.
      if (!isLoggableCount(++this.unmetPasses)) return;
      this.logger.warn({
        msg: `pruning pass: room still wanted (${report.unmet === 'size' ? 'size cap' : 'free space'}), and every image left is waiting for analysis or reviewed`,
        ...line,
        waitingForAnalysis: report.pending,
        reviewed: report.reviewed,
        timesSoFar: this.unmetPasses,
      });
    });
    this.events.on('scanProgress', (images, bytes, days, ofDays) =>
      this.logger.log({ msg: 'store scan under way', images, bytes, days, ofDays }),
    );
    this.events.on('scanned', (summary) =>
      this.logger.log({ msg: 'store scanned', ...summary, durationMs: Math.round(summary.durationMs) }),
    );
    this.events.on('reconciled', (orphan) => {
      if (++this.leftovers > LOGGED_LEFTOVERS) return;
      this.logger.warn({
        msg:
          orphan.part === 'image'
            ? 'image without its sidecar removed (a crash before it was acknowledged)'
            : 'sidecar without its image removed (a crash while it was pruned)',
        imageId: orphan.imageId,
      });
    });
    this.events.on('failed', (message) => {
      if (isLoggableCount(++this.failures))
        this.logger.error({ msg: 'retention failed', error: message, timesSoFar: this.failures });
    });
  }
}

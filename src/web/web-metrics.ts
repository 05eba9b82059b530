import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { LiveEvents } from '../live/live-events.js';
import type { StoredFileUnavailable } from '../storage/stored-file.js';
import { METRIC } from '../metrics/metric-names.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** Why a photo was not served: no such file (never stored, or pruned), or one refused. */
export type PhotoUnavailableReason = StoredFileUnavailable['reason'];

/** Metrics of the pages and the live stream, on the gateway's registry. */
@Injectable()
export class WebMetrics {
  private readonly photosUnavailable: Counter<'reason'>;

  constructor(metrics: MetricsService, live: LiveEvents) {
    this.photosUnavailable = new Counter({
      name: METRIC.photosUnavailable,
      help: 'Photo requests answered 404, by reason (missing: never stored or pruned; outside-store, not-a-file: refused).',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
    const clients: Gauge = new Gauge({
      name: METRIC.liveClients,
      help: 'Clients connected to the live stream (GET /api/events).',
      registers: [metrics.registry],
      collect: () => clients.set(live.clients),
    });
  }

  photoUnavailable(reason: PhotoUnavailableReason): void {
    this.photosUnavailable.labels(reason).inc();
  }
}

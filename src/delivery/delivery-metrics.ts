import { Counter, Gauge } from 'prom-client';
import { METRIC } from '../metrics/metric-names.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { Outbox } from './outbox.js';

/**
 * The metrics of the result feeds, on the gateway's registry; `sink`: mqtt or webhook. Present
 * (at zero) when neither is configured, so that dashboards and alerts find them.
 */
export class DeliveryMetrics {
  readonly published: Counter<'sink'>;
  readonly rejected: Counter<'sink'>;
  readonly dropped: Counter<'sink'>;
  readonly failures: Counter<'sink'>;
  readonly mqttConnected: Gauge;

  constructor(metrics: MetricsService, outbox: () => Outbox | undefined) {
    const registers = [metrics.registry];
    this.published = new Counter({
      name: METRIC.resultsPublished,
      help: 'Analysed results delivered, by sink (mqtt: acknowledged by the broker; webhook: answered 2xx).',
      labelNames: ['sink'],
      registers,
    });
    this.rejected = new Counter({
      name: METRIC.resultsRejected,
      help: 'Results the webhook refused for good (4xx other than 408 and 429), skipped.',
      labelNames: ['sink'],
      registers,
    });
    this.dropped = new Counter({
      name: METRIC.outboxDropped,
      help: 'Results dropped undelivered because the outbox was full (MQTT_OUTBOX_MAX_BYTES), by sink.',
      labelNames: ['sink'],
      registers,
    });
    this.failures = new Counter({
      name: METRIC.deliveryFailures,
      help: 'Failed connection attempts (mqtt) or requests (webhook), each followed by a retry.',
      labelNames: ['sink'],
      registers,
    });
    this.mqttConnected = new Gauge({
      name: METRIC.mqttConnected,
      help: '1 while connected to the MQTT broker.',
      registers,
    });
    const pending: Gauge<'sink'> = new Gauge({
      name: METRIC.outboxPending,
      help: 'Results in the outbox not yet delivered, by sink.',
      labelNames: ['sink'],
      registers,
      collect: () => {
        const current = outbox();
        for (const sink of current?.sinks ?? []) pending.labels(sink).set(current!.pending(sink));
      },
    });
    const bytes: Gauge = new Gauge({
      name: METRIC.outboxBytes,
      help: 'Bytes of results waiting in the outbox.',
      registers,
      collect: () => bytes.set(outbox()?.bytes ?? 0),
    });
  }

  /** Shows the enabled sinks at zero from the start. */
  sinks(sinks: readonly string[]): void {
    for (const sink of sinks) {
      this.published.labels(sink);
      this.dropped.labels(sink);
      this.failures.labels(sink);
    }
  }
}

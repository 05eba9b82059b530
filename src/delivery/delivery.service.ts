import { hostname } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { Environment } from '../config/index.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { analysisOf, type ImageSummary } from '../results/image-summary.js';
import { ResultsService } from '../results/results.service.js';
import { DeliveryMetrics } from './delivery-metrics.js';
import { DeviceOrder } from './device-order.js';
import { MqttPublisher, MQTT_SINK } from './mqtt-publisher.js';
import { Outbox, type OutboxItem } from './outbox.js';
import { printableUrl } from './printable-url.js';
import type { RecoveryMark } from './outbox-log.js';
import { WebhookSender, WEBHOOK_SINK } from './webhook-sender.js';

/** The outbox's folder under STORAGE_DIR (a dot folder: not images). */
export const OUTBOX_FOLDER = '.outbox';

/** Longest a result waits for those of its device's earlier images (see DeviceOrder). */
const ORDER_WAIT_MS = 10_000;

/** How far out of analysis order results may be appended: the wait, and batches analysed meanwhile. */
const REORDER_WINDOW_MS = ORDER_WAIT_MS + 50_000;

/** What MQTT and the webhook carry of one analysed image: its summary and the gateway's id. */
export type ResultPayload = ImageSummary & { readonly gatewayId: string };

function missedBy(mark: RecoveryMark, analysedAt: string, imageId: string): boolean {
  return analysedAt >= mark.since && !mark.imageIds.has(imageId);
}

/**
 * Carries every analysed result out of the gateway, through the durable outbox, to MQTT
 * (MQTT_URL) and a webhook (RESULT_WEBHOOK_URL); nothing when neither is set. At start-up,
 * results recorded after the last one the outbox had written (a crash in between) are appended
 * from the index before any new one, so that none is lost; each device's results are appended in
 * the order its images were stored (DeviceOrder).
 */
@Injectable()
export class DeliveryService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Delivery');
  private outbox: Outbox | undefined;
  private mqtt: MqttPublisher | undefined;
  private webhook: WebhookSender | undefined;
  /** Results that came while the start-up recovery ran: appended after it. */
  private held: OutboxItem[] | undefined = [];
  private readonly order = new DeviceOrder<OutboxItem>(ORDER_WAIT_MS, (item) => this.accept(item));
  readonly gatewayId: string;

  constructor(
    private readonly env: Environment,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly results: ResultsService,
    private readonly metrics: MetricsService,
  ) {
    this.gatewayId =
      env.GATEWAY_ID ||
      hostname()
        .replace(/[^0-9A-Za-z._-]/g, '-')
        .slice(0, 64);
  }

  async onModuleInit(): Promise<void> {
    const metrics = new DeliveryMetrics(this.metrics, () => this.outbox);
    const sinks = [
      ...(this.env.MQTT_URL ? [MQTT_SINK] : []),
      ...(this.env.RESULT_WEBHOOK_URL ? [WEBHOOK_SINK] : []),
    ];
    if (sinks.length === 0) return;
    const outbox = await Outbox.open(join(this.env.STORAGE_DIR, OUTBOX_FOLDER), {
      maxBytes: this.env.MQTT_OUTBOX_MAX_BYTES,
      sinks,
      reorderWindowMs: REORDER_WINDOW_MS,
      now: () => this.clock.now(),
    });
    this.outbox = outbox;
    metrics.sinks(sinks);
    outbox.on('dropped', (sink, count) => {
      metrics.dropped.labels(sink).inc(count);
      this.logger.warn({
        msg: 'outbox full: oldest results dropped',
        sink,
        count,
        maxBytes: this.env.MQTT_OUTBOX_MAX_BYTES,
      });
    });
    outbox.on('writeFailed', (error) =>
      this.logger.error({ msg: 'outbox write failed', error: error.message }),
    );
    const retry = { retryMinMs: this.env.DELIVERY_RETRY_MIN_MS, retryMaxMs: this.env.DELIVERY_RETRY_MAX_MS };
    if (this.env.MQTT_URL) {
      this.mqtt = new MqttPublisher(
        {
          url: this.env.MQTT_URL,
          username: this.env.MQTT_USERNAME,
          password: this.env.MQTT_PASSWORD,
          caFile: this.env.MQTT_CA_FILE,
          topicPrefix: this.env.MQTT_TOPIC_PREFIX,
          gatewayId: this.gatewayId,
          ...retry,
        },
        outbox,
        {
          connected: (connected) => metrics.mqttConnected.set(connected ? 1 : 0),
          published: (count) => metrics.published.labels(MQTT_SINK).inc(count),
          failed: () => metrics.failures.labels(MQTT_SINK).inc(),
        },
      );
    }
    if (this.env.RESULT_WEBHOOK_URL) {
      this.webhook = new WebhookSender(
        { url: this.env.RESULT_WEBHOOK_URL, timeoutMs: this.env.RESULT_WEBHOOK_TIMEOUT_MS, ...retry },
        outbox,
        {
          published: (count) => metrics.published.labels(WEBHOOK_SINK).inc(count),
          failed: () => metrics.failures.labels(WEBHOOK_SINK).inc(),
          rejected: () => metrics.rejected.labels(WEBHOOK_SINK).inc(),
        },
      );
    }
    if (this.env.ANALYSIS_ENABLED)
      this.results.events.on('stored', (summary) => this.order.stored(summary.deviceKey, summary.imageId));
    this.results.events.on('analysed', (summary) =>
      this.order.analysed(summary.deviceKey, summary.imageId, this.item(summary)),
    );
    this.results.events.on('device', (device) => this.mqtt?.deviceState(device.deviceKey, device));
    this.logger.log({
      msg: 'results delivered',
      mqtt: this.env.MQTT_URL ? printableUrl(this.env.MQTT_URL) : null,
      webhook: this.env.RESULT_WEBHOOK_URL ? printableUrl(this.env.RESULT_WEBHOOK_URL) : null,
      gatewayId: this.gatewayId,
      pending: Object.fromEntries(sinks.map((sink) => [sink, outbox.pending(sink)])),
    });
    this.mqtt?.start();
    this.webhook?.start();
    void this.results.indexed.then(() => this.recover(outbox));
  }

  async onModuleDestroy(): Promise<void> {
    this.order.drain();
    this.webhook?.stop();
    await this.outbox?.flush();
    await this.mqtt?.stop();
    await this.outbox?.close();
  }

  private item(summary: ImageSummary): OutboxItem {
    const payload: ResultPayload = { ...summary, gatewayId: this.gatewayId };
    return {
      key: summary.deviceKey,
      payload,
      analysedAt: summary.analysedAt ?? '',
      imageId: summary.imageId,
    };
  }

  private accept(item: OutboxItem): void {
    if (this.held) this.held.push(item);
    else this.outbox?.append([item]);
  }

  /** Appends the results recorded but missing from the outbox, in the order stored, then those held. */
  private recover(outbox: Outbox): void {
    const mark = outbox.recoveryMark;
    const held = new Set(this.held?.map((item) => item.imageId));
    const missed = [...this.results.images.newest()]
      .filter(({ record, imageId }) => {
        const analysis = analysisOf(record);
        return analysis !== undefined && !held.has(imageId) && missedBy(mark, analysis.analysedAt, imageId);
      })
      // The index lists newest stored first: oldest first, each device's in the order stored.
      .reverse()
      .map(({ summary }) => this.item(summary));
    if (missed.length > 0) {
      this.logger.warn({
        msg: 'results recorded but not in the outbox (a crash in between): appended',
        count: missed.length,
      });
    }
    outbox.append([...missed, ...(this.held ?? [])]);
    this.held = undefined;
  }
}

import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Verdict } from '#protocol';
import { UdpServer } from '#udp-transport';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ClassificationEvents } from '../classification/classification-events.js';
import { ClassificationService } from '../classification/classification.service.js';
import { VERSION } from '../common/version.js';
import { PRUNE_REASONS } from '../retention/retention-policy.js';
import { StoreInventory } from '../retention/store-inventory.js';
import { StoreEvents } from '../storage/store-events.js';
import { TransferEvents } from '../transfers/transfer-events.js';
import { TransfersService } from '../transfers/transfers.service.js';
import { DatagramCounts } from '../udp/datagram-counts.js';
import { METRIC, type TransferOutcome } from './metric-names.js';

const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The gateway's Prometheus metrics, on a registry of its own. Counters are bumped from events
 * (one increment each, labels resolved once) and gauges are read at scrape time, so the
 * datagram path pays next to nothing.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  private readonly received: Counter<'op'> = new Counter({
    name: METRIC.datagramsReceived,
    help: 'Datagrams decoded, by operation (frame kind).',
    labelNames: ['op'],
    registers: [this.registry],
    collect: () => this.collectReceived(),
  });
  private readonly rejected: Counter<'reason'> = new Counter({
    name: METRIC.datagramsRejected,
    help: 'Datagrams dropped without being served, by reason (undecodable, unroutable, reply budget…).',
    labelNames: ['reason'],
    registers: [this.registry],
    collect: () => {
      this.rejected.reset();
      for (const [reason, count] of this.udp.rejectionCounts()) this.rejected.labels(reason).inc(count);
      for (const [reason, count] of this.udp.dropCounts()) this.rejected.labels(reason).inc(count);
      for (const [status, count] of this.transferService.statistics.suppressed)
        this.rejected.labels(`reply-limited-${status}`).inc(count);
    },
  });
  private readonly repliesSent: Counter<'op'> = new Counter({
    name: METRIC.repliesSent,
    help: 'Datagrams sent to devices, by operation.',
    labelNames: ['op'],
    registers: [this.registry],
    collect: () => {
      this.repliesSent.reset();
      for (const [op, count] of this.udp.sentCounts()) this.repliesSent.labels(op).inc(count);
    },
  });
  private readonly transfers = new Counter({
    name: METRIC.transfers,
    help:
      'Image transfers by outcome: completed (stored), refused, expired (given up dormant), aborted (device ' +
      'restarted), failed (storage), checksum-mismatch (generation C: the image did not match its CRC-32).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly retransmissions: Counter<'kind'> = new Counter({
    name: METRIC.retransmissions,
    help:
      'Repeated or late traffic, by kind (duplicate request or packet, conflicting packet, late duplicate, extra ' +
      'end-of-transfer round, network copy, stale packet, replaced packet).',
    labelNames: ['kind'],
    registers: [this.registry],
    collect: () => {
      this.retransmissions.reset();
      for (const [kind, count] of Object.entries(this.transferService.statistics.retransmissions))
        this.retransmissions.labels(kind).inc(count);
    },
  });
  private readonly transferDuration = new Histogram({
    name: METRIC.transferDuration,
    help: 'Time from an accepted upload request to the image stored.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  private readonly imageBytes = new Histogram({
    name: METRIC.imageBytes,
    help: 'Size of stored images.',
    buckets: [8_192, 16_384, 32_768, 65_536, 131_072, 262_144, 524_288, 1_048_576],
    registers: [this.registry],
  });
  private readonly storageWrite = new Histogram({
    name: METRIC.storageWrite,
    help: 'Durable write of one image and its sidecar (fsync included).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly storageBytes: Gauge = new Gauge({
    name: METRIC.storageBytes,
    help: 'Bytes the stored images and their sidecars take on disk (spool excluded); while the start-up scan runs, what it has counted so far.',
    registers: [this.registry],
    collect: () => {
      this.storageBytes.set(this.inventory.totals.bytes);
    },
  });
  private readonly storageImages: Gauge = new Gauge({
    name: METRIC.storageImages,
    help: 'Images stored (each with its sidecar); while the start-up scan runs, what it has counted so far.',
    registers: [this.registry],
    collect: () => {
      this.storageImages.set(this.inventory.totals.images);
    },
  });
  private readonly imagesPruned = new Counter({
    name: METRIC.imagesPruned,
    help: 'Images removed by retention, by reason: age (past its limit), size (the cap), disk (free space).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly classifications = new Counter({
    name: METRIC.classifications,
    help: 'Images analysed, by verdict and label.',
    labelNames: ['verdict', 'label'],
    registers: [this.registry],
  });
  private readonly classificationDuration = new Histogram({
    name: METRIC.classificationDuration,
    help: 'Time to decode and classify one image, queueing excluded.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly classifierQueueDepth: Gauge = new Gauge({
    name: METRIC.classifierQueueDepth,
    help: 'Images waiting for analysis.',
    registers: [this.registry],
    collect: () => {
      this.classifierQueueDepth.set(this.classification.queueDepth);
    },
  });
  private readonly resultsConfirmed = new Counter({
    name: METRIC.resultsConfirmed,
    help: 'Analysis results confirmed by their device.',
    registers: [this.registry],
  });
  private readonly buildInfo: Gauge<'version' | 'backend'> = new Gauge({
    name: METRIC.buildInfo,
    help: 'Always 1; labels give the version and the inference backend.',
    labelNames: ['version', 'backend'],
    registers: [this.registry],
    collect: () => {
      this.buildInfo.reset();
      this.buildInfo.labels(VERSION, this.classification.backend).set(1);
    },
  });
  private readonly transfersActive: Gauge = new Gauge({
    name: METRIC.transfersActive,
    help: 'Transfers in progress.',
    registers: [this.registry],
    collect: () => {
      this.transfersActive.set(this.transferService.activeTransfers);
    },
  });
  private readonly transfersDormant: Gauge = new Gauge({
    name: METRIC.transfersDormant,
    help: 'Transfers idle past their timeout, kept for their device to come back.',
    registers: [this.registry],
    collect: () => {
      this.transfersDormant.set(this.transferService.dormantTransfers);
    },
  });

  constructor(
    private readonly transferEvents: TransferEvents,
    private readonly transferService: TransfersService,
    private readonly udp: UdpServer,
    private readonly receivedCounts: DatagramCounts,
    private readonly classification: ClassificationService,
    private readonly classificationEvents: ClassificationEvents,
    private readonly inventory: StoreInventory,
    private readonly storeEvents: StoreEvents,
  ) {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters fail `promtool check metrics`; their per-type twins stay.
    for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
  }

  onModuleInit(): void {
    const outcome = (name: TransferOutcome) => this.transfers.labels(name);
    const completed = outcome('completed');
    const refused = outcome('refused');
    const expired = outcome('expired');
    const aborted = outcome('aborted');
    const failed = outcome('failed');
    const mismatched = outcome('checksum-mismatch');
    this.transferEvents.on('completed', (transfer, stored, writeSeconds) => {
      completed.inc();
      this.transferDuration.observe(
        (Date.parse(stored.record.timings.storedAt) - transfer.acceptedAt) / 1000,
      );
      this.imageBytes.observe(stored.record.size);
      this.storageWrite.observe(writeSeconds);
    });
    this.transferEvents.on('refused', () => refused.inc());
    this.transferEvents.on('expired', () => expired.inc());
    this.transferEvents.on('aborted', () => aborted.inc());
    this.transferEvents.on('storageFailed', () => failed.inc());
    this.transferEvents.on('checksumMismatch', () => mismatched.inc());
    this.classificationEvents.on('classified', (verdict, label, seconds) => {
      const verdictName = typeof verdict === 'string' ? verdict : Verdict[verdict].toLowerCase();
      this.classifications.labels(verdictName, label).inc();
      if (seconds > 0) this.classificationDuration.observe(seconds);
    });
    this.classificationEvents.on('confirmed', () => this.resultsConfirmed.inc());
    // Every reason from the start, so that a rate over it exists before the first pass.
    for (const reason of PRUNE_REASONS) this.imagesPruned.labels(reason).inc(0);
    this.storeEvents.on('removed', (imageIds, reason) => {
      if (reason !== 'orphan') this.imagesPruned.labels(reason).inc(imageIds.length);
    });
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  private collectReceived(): void {
    this.received.reset();
    for (const [op, count] of this.receivedCounts.entries()) this.received.labels(op).inc(count);
  }
}

import { statfs } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { UdpServer } from '#udp-transport';
import type { Socket } from 'node:dgram';
import { ClassificationService } from '../classification/classification.service.js';
import { Environment } from '../config/index.js';
import { GatewayLifecycle } from '../lifecycle/gateway-lifecycle.js';
import { ImageStore } from '../storage/image-store.js';

/** Event-loop delay resolution for the liveness report. */
const LOOP_DELAY_RESOLUTION_MS = 20;

/** The health indicators of the gateway, each one key of terminus' report. */
@Injectable()
export class GatewayHealth implements OnModuleDestroy {
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly env: Environment,
    private readonly udp: UdpServer,
    private readonly images: ImageStore,
    private readonly lifecycle: GatewayLifecycle,
    private readonly classification: ClassificationService,
  ) {
    this.loopDelay.enable();
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }

  /** Answering at all proves the loop turns; the delay percentiles say how well. */
  eventLoop(): HealthIndicatorResult<'eventLoop'> {
    // The histogram measures whole sampling intervals: the delay is what exceeds the resolution.
    const toMs = (ns: number) => Math.max(0, Math.round(ns / 1e5) / 10 - LOOP_DELAY_RESOLUTION_MS);
    const result = this.indicators.check('eventLoop').up({
      delayP50Ms: toMs(this.loopDelay.percentile(50)),
      delayP99Ms: toMs(this.loopDelay.percentile(99)),
      delayMaxMs: toMs(this.loopDelay.max),
    });
    this.loopDelay.reset();
    return result;
  }

  udpSocket(): HealthIndicatorResult<'udp'> {
    const check = this.indicators.check('udp');
    try {
      const { address, port } = this.udp.unwrap<Socket>().address();
      return check.up({ address, port });
    } catch {
      return check.down({ message: 'UDP socket not bound' });
    }
  }

  async storage(): Promise<HealthIndicatorResult<'storage'>> {
    const check = this.indicators.check('storage');
    const minFreeBytes = this.env.MIN_FREE_DISK_BYTES;
    try {
      const stats = await statfs(this.images.root);
      const freeBytes = Number(stats.bavail) * Number(stats.bsize);
      const failure = this.images.failure;
      if (failure) return check.down({ path: this.images.root, freeBytes, lastWriteError: failure.message });
      if (freeBytes < minFreeBytes) return check.down({ path: this.images.root, freeBytes, minFreeBytes });
      return check.up({ path: this.images.root, freeBytes });
    } catch (error) {
      return check.down({ path: this.images.root, message: (error as Error).message });
    }
  }

  model(): HealthIndicatorResult<'model'> {
    const check = this.indicators.check('model');
    if (!this.env.ANALYSIS_ENABLED) return check.up({ analysis: 'disabled' });
    const model = this.classification.model;
    if (!model) {
      return check.down({
        message: this.classification.unavailableReason ?? `no model loaded from ${this.env.MODEL_DIR}`,
      });
    }
    return check.up({ backend: model.backend, modelId: model.modelId, labels: model.labels });
  }

  acceptingWork(): HealthIndicatorResult<'lifecycle'> {
    const check = this.indicators.check('lifecycle');
    return this.lifecycle.shuttingDown ? check.down({ message: 'shutting down' }) : check.up();
  }
}

import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { Environment } from '../config/index.js';
import type { ImageRecord } from '../storage/image-record.js';
import { ImageStore } from '../storage/image-store.js';
import { TransferEvents } from '../transfers/transfer-events.js';
import type { AnalysedImage, ClassifierLoad, FromClassifier, ImageToAnalyse } from './analysis-protocol.js';
import { resultFrameOf, unavailableAnalysis, verdictOf, type AnalysisRecord } from './analysis-record.js';
import { ClassificationEvents } from './classification-events.js';
import { ClassifierSupervisor } from './classifier-supervisor.js';
import { CrashStrikes } from './crash-strikes.js';
import { ModelRequests, ModelSwapError } from './model-requests.js';
import { ResultPusher } from './result-pusher.js';
import type { ModelChoice, ModelInfo, WorkerModels } from './worker-protocol.js';
import { ModelCatalog } from './model-catalog.js';

export type { AnalysisRecord } from './analysis-record.js';

/** A result is pushed to its device only while the image is this fresh; older ones are only recorded. */
const FRESH_RESULT_MS = 60_000;

/** How often `settle` looks whether the classifier is done. */
const SETTLE_POLL_MS = 20;

/**
 * Every stored image is classified in the classifier process (see `ClassifierSupervisor`), its
 * analysis recorded in its sidecar there, and its verdict pushed from here to the camera as an op-4
 * frame. Images the process could not take (queue full, or the process down) stay on disk without
 * analysis and are picked up again by its backlog scan: no image is silently skipped. While the
 * process is down (it is restarted), analysis is unavailable (`model` is undefined).
 */
@Injectable()
export class ClassificationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Classification');
  private supervisor: ClassifierSupervisor | undefined;
  private modelRequests: ModelRequests | undefined;
  /** Fresh images handed to the process and not yet recorded, resent to a restarted one. */
  private readonly handedOver = new Map<string, ImageToAnalyse & { resultSent: boolean }>();
  private readonly strikes = new CrashStrikes();
  private load: ClassifierLoad = { waiting: 0, busy: 0 };
  /** Fresh images left on disk since the process last scanned for them. */
  private leftOnDisk = false;
  private lastModel: ModelInfo | undefined;
  private downReason: string | undefined;

  constructor(
    private readonly env: Environment,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly images: ImageStore,
    private readonly transfers: TransferEvents,
    private readonly results: ResultPusher,
    readonly events: ClassificationEvents,
    private readonly catalog: ModelCatalog,
  ) {}

  /** The model in use; undefined when analysis is off or the classifier process is down. */
  get model(): ModelInfo | undefined {
    return this.supervisor?.model;
  }

  /** The models the classifier process runs (the shadow one too); undefined while it is down. */
  get models(): WorkerModels | undefined {
    return this.supervisor?.models;
  }

  /** The models chosen (run by the process, or by its restart); undefined when analysis is off. */
  get choice(): ModelChoice | undefined {
    return this.modelRequests?.choice;
  }

  /**
   * Runs `choice` from now on, without a restart: the classifier process loads it beside the
   * models at work, which go on classifying until it takes over. Rejects with `ModelSwapError`,
   * the models in use kept, when analysis is off, the process is down or a model does not load.
   */
  useModels(choice: ModelChoice): Promise<WorkerModels> {
    if (!this.modelRequests)
      return Promise.reject(new ModelSwapError('disabled', 'analysis is disabled (ANALYSIS_ENABLED=false)'));
    return this.modelRequests.use(choice);
  }

  /** Why analysis is unavailable while it is on (the classifier process restarting). */
  get unavailableReason(): string | undefined {
    return this.supervisor && !this.supervisor.model ? this.downReason : undefined;
  }

  /** The backend of the model, also while its process restarts; `none` when analysis is off. */
  get backend(): string {
    return this.lastModel?.backend ?? 'none';
  }

  get queueDepth(): number {
    if (!this.supervisor?.model) return this.handedOver.size;
    // The process reports its load as batches start: one that reads nothing (stopped, starved)
    // reports nothing, and what was handed to it since waits all the same.
    return Math.max(this.load.waiting, this.handedOver.size - this.load.busy);
  }

  /** Process id of the classifier process while it runs. */
  get classifierPid(): number | undefined {
    return this.supervisor?.pid;
  }

  async onModuleInit(): Promise<void> {
    if (!this.env.ANALYSIS_ENABLED) {
      this.logger.warn({
        msg: 'analysis disabled (ANALYSIS_ENABLED=false): results say analysis unavailable',
      });
    } else {
      const { choice, shadowProblem } = await this.catalog.startChoice();
      if (shadowProblem) this.logger.error({ msg: 'shadow model left out', error: shadowProblem });
      this.supervisor = this.startSupervisor();
      this.modelRequests = new ModelRequests(this.supervisor, choice);
      this.lastModel = await this.supervisor.start();
      this.logger.log({
        msg: 'model loaded',
        model: this.lastModel.name,
        modelDir: choice.active.dir,
        shadow: this.supervisor.models?.shadow?.name,
        backend: this.lastModel.backend,
        labels: this.lastModel.labels,
        modelId: this.lastModel.modelId,
        workers: this.env.CLASSIFIER_WORKERS,
        classifierPid: this.supervisor.pid,
      });
    }
    this.transfers.on('completed', (_transfer, stored) => this.submit(stored.sidecarPath, stored.record));
  }

  async onModuleDestroy(): Promise<void> {
    // What was not recorded waits for the next start, on disk.
    await this.supervisor?.close();
  }

  /** Waits until the images handed over are analysed and recorded (used when draining), or `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const busy = () =>
      this.supervisor?.model !== undefined &&
      (this.handedOver.size > 0 || this.load.waiting + this.load.busy > 0);
    while (busy() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }

  private startSupervisor(): ClassifierSupervisor {
    const supervisor = new ClassifierSupervisor(() => ({
      type: 'start',
      settings: {
        models: this.modelRequests!.choice,
        backend: this.env.INFERENCE_BACKEND,
        storageDir: this.images.root,
        workers: this.env.CLASSIFIER_WORKERS,
        queueMax: this.env.CLASSIFIER_QUEUE_MAX,
        batchMax: this.env.CLASSIFIER_BATCH_MAX,
        passLabels: this.env.PASS_LABELS,
        confidenceThreshold: this.env.CONFIDENCE_THRESHOLD,
        backlogDays: this.env.ANALYSIS_BACKLOG_DAYS,
        nice: this.env.BACKGROUND_THREADS_NICE,
        idlePolicy: this.env.CLASSIFIER_IDLE_POLICY,
      },
      giveUp: this.strikes.givenUp(),
    }));
    supervisor.on('message', (message) => this.onMessage(message));
    supervisor.on('down', (reason, restartInMs) => this.onDown(reason, restartInMs));
    supervisor.on('up', (model, restarts) => this.onUp(model, restarts));
    return supervisor;
  }

  private submit(sidecarPath: string, record: ImageRecord): void {
    const queuedAt = this.clock.now();
    if (!this.supervisor) {
      // After the reply that acknowledges the image has gone out: a result sent before it is discarded.
      setImmediate(() =>
        this.announce({
          sidecarPath,
          record,
          analysis: unavailableAnalysis('analysis disabled', undefined, 0, queuedAt),
        }),
      );
      return;
    }
    if (this.handedOver.has(sidecarPath)) return;
    if (this.handedOver.size >= this.env.CLASSIFIER_QUEUE_MAX || !this.supervisor.model) {
      this.leftOnDisk = true;
      return;
    }
    const image = { sidecarPath, record, queuedAt };
    this.handedOver.set(sidecarPath, { ...image, resultSent: false });
    this.supervisor.send({ type: 'analyse', images: [image] });
  }

  private onMessage(message: FromClassifier): void {
    if (this.modelRequests?.handle(message)) return;
    if ('waiting' in message) this.load = { waiting: message.waiting, busy: message.busy };
    switch (message.type) {
      case 'load':
        break;
      case 'batch':
        this.strikes.inProgress(message.sidecarPaths);
        break;
      case 'analysed':
        for (const image of message.images) {
          const handed = this.handedOver.get(image.sidecarPath);
          // Analysed again by a restarted process: its camera already had the result.
          if (handed?.resultSent) continue;
          if (handed) handed.resultSent = true;
          this.announce(image);
        }
        break;
      case 'recorded':
        for (const sidecarPath of message.sidecarPaths) {
          this.handedOver.delete(sidecarPath);
          this.strikes.done(sidecarPath);
        }
        for (const record of message.records) this.events.emit('analysed', record);
        if (this.leftOnDisk && this.handedOver.size === 0) {
          this.leftOnDisk = false;
          this.supervisor?.send({ type: 'rescan' });
        }
        break;
      case 'log':
        this.logger[message.level === 'info' ? 'log' : message.level](message.entry);
        break;
    }
  }

  /** Pushes an image's verdict to its camera (while fresh), then tells metrics and logs. */
  private announce({ record, analysis }: AnalysedImage): void {
    if (this.clock.now() - Date.parse(record.timings.storedAt) <= FRESH_RESULT_MS) {
      this.results.push(record.clientType, resultFrameOf(analysis, record.deviceId), record.source);
    }
    this.events.emit('classified', verdictOf(analysis), analysis.label ?? '', secondsOf(analysis));
    this.logger.log({
      msg: 'image analysed',
      imageId: record.imageId,
      deviceId: record.deviceId,
      status: analysis.status,
      verdict: analysis.verdict,
      label: analysis.label,
      confidence: analysis.confidence,
    });
  }

  private onDown(reason: string, restartInMs: number): void {
    this.downReason = `${reason}; restarting in ${restartInMs} ms`;
    this.modelRequests?.down(reason);
    const struck = this.strikes.crashed();
    this.load = { waiting: 0, busy: 0 };
    this.logger.error({
      msg: 'classifier process died: analysis unavailable until it is back',
      reason,
      restartInMs,
      imagesInProgress: struck,
      imagesWaiting: this.handedOver.size,
    });
  }

  private onUp(model: ModelInfo, restarts: number): void {
    this.lastModel = model;
    this.downReason = undefined;
    if (restarts === 0) return;
    // A new process walks the store as it starts: it finds what was left on disk meanwhile.
    this.leftOnDisk = false;
    this.logger.warn({
      msg: 'classifier process restarted: analysis available again',
      restarts,
      backend: model.backend,
    });
    const images = [...this.handedOver.values()]
      .filter((image) => !this.strikes.isGivenUp(image.sidecarPath))
      .map(({ sidecarPath, record, queuedAt }) => ({ sidecarPath, record, queuedAt }));
    if (images.length > 0) this.supervisor?.send({ type: 'analyse', images });
  }
}

/** Decoding and inference of one image, queueing excluded (0 when it was not classified). */
function secondsOf(analysis: AnalysisRecord): number {
  const { decodeMs, inferenceMs } = analysis.timings;
  return decodeMs === null || inferenceMs === null ? 0 : (decodeMs + inferenceMs) / 1000;
}

import { readFile } from 'node:fs/promises';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AnalysisStatus, confidenceFromScore, NO_CLASS, Verdict, type AnalysisResult } from '#protocol';
import { CLOCK, type Clock } from '../common/clock.js';
import { Environment } from '../config/index.js';
import { ImageStore } from '../storage/image-store.js';
import type { ImageRecord } from '../storage/image-record.js';
import { TransferEvents } from '../transfers/transfer-events.js';
import { ClassificationEvents } from './classification-events.js';
import { BackgroundPriority } from './background-priority.js';
import { ClassifierPool } from './classifier-pool.js';
import { ResultPusher } from './result-pusher.js';
import { decide, verdictPolicyFrom, type VerdictPolicy } from './verdict.js';
import type { JobOutcome, ModelInfo } from './worker-protocol.js';

/** A result is pushed to its device only while the image is this fresh; older ones are only recorded. */
const FRESH_RESULT_MS = 60_000;

/** What a sidecar records of an analysis. */
export interface AnalysisRecord {
  readonly status: 'analysed' | 'undecodable' | 'unavailable';
  readonly verdict: 'pass' | 'defect' | 'uncertain' | null;
  readonly label: string | null;
  readonly classIndex: number | null;
  readonly confidence: number | null;
  readonly scores: Record<string, number> | null;
  readonly backend: string | null;
  readonly modelId: string | null;
  readonly message?: string;
  readonly analysedAt: string;
  readonly timings: {
    readonly queuedMs: number;
    readonly decodeMs: number | null;
    readonly inferenceMs: number | null;
  };
}

const VERDICT_NAMES: Record<Verdict, 'pass' | 'defect' | 'uncertain'> = {
  [Verdict.Pass]: 'pass',
  [Verdict.Defect]: 'defect',
  [Verdict.Uncertain]: 'uncertain',
};

/**
 * Every stored image is classified off the UDP loop (worker threads), its verdict recorded in its
 * sidecar and pushed to the camera as an op-4 frame. Images that could not be queued (queue full,
 * or a stop before their turn) stay on disk without analysis and are picked up again, at start-up
 * and whenever the queue has drained: no image is silently skipped.
 */
@Injectable()
export class ClassificationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Classification');
  private readonly policy: VerdictPolicy;
  private pool: ClassifierPool | undefined;
  /** Sidecars queued or being classified, so a backlog scan does not queue them twice. */
  private readonly queued = new Set<string>();
  private deferred = 0;
  private scanning: Promise<void> | undefined;
  private scanInProgress = false;
  private stopping = false;
  private readonly backgroundPriority: BackgroundPriority;

  constructor(
    private readonly env: Environment,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly images: ImageStore,
    private readonly transfers: TransferEvents,
    private readonly results: ResultPusher,
    readonly events: ClassificationEvents,
  ) {
    this.policy = verdictPolicyFrom(env.PASS_LABELS, env.CONFIDENCE_THRESHOLD);
    this.backgroundPriority = new BackgroundPriority(env.BACKGROUND_THREADS_NICE);
  }

  /** The model in use, once loaded; undefined when analysis is off. */
  get model(): ModelInfo | undefined {
    return this.pool?.model;
  }

  get backend(): string {
    return this.pool?.model?.backend ?? 'none';
  }

  get queueDepth(): number {
    return this.pool?.queueDepth ?? 0;
  }

  async onModuleInit(): Promise<void> {
    if (this.env.ANALYSIS_ENABLED) {
      this.pool = new ClassifierPool({
        modelDir: this.env.MODEL_DIR,
        backend: this.env.INFERENCE_BACKEND,
        workers: this.env.CLASSIFIER_WORKERS,
        queueMax: this.env.CLASSIFIER_QUEUE_MAX,
        batchMax: this.env.CLASSIFIER_BATCH_MAX,
      });
      const model = await this.pool.start();
      this.backgroundPriority.start();
      this.logger.log({
        msg: 'model loaded',
        modelDir: this.env.MODEL_DIR,
        backend: model.backend,
        labels: model.labels,
        modelId: model.modelId,
        workers: this.env.CLASSIFIER_WORKERS,
      });
    } else {
      this.logger.warn({
        msg: 'analysis disabled (ANALYSIS_ENABLED=false): results say analysis unavailable',
      });
    }
    this.transfers.on('completed', (_transfer, stored) => this.enqueue(stored.sidecarPath, stored.record));
    if (this.pool) this.scanning = this.scanBacklog();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.backgroundPriority.stop();
    // Closing the pool wakes a scan waiting for room; what was not classified waits for the next start.
    await this.pool?.close();
    await this.scanning;
  }

  /** Waits until queued images are analysed (used when draining), or `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    await this.pool?.idle(timeoutMs);
  }

  private enqueue(sidecarPath: string, record: ImageRecord): void {
    if (this.queued.has(sidecarPath)) return;
    const queuedAt = this.clock.now();
    if (!this.pool) {
      // After the reply that acknowledges the image has gone out: a result sent before it is discarded.
      setImmediate(() => void this.finish(sidecarPath, record, queuedAt, undefined));
      return;
    }
    const imagePath = sidecarPath.replace(/\.json$/, '.jpg');
    const outcome = this.pool.classify(imagePath);
    if (!outcome) {
      this.deferred++;
      return;
    }
    this.queued.add(sidecarPath);
    void outcome
      .then((result) => this.finish(sidecarPath, record, queuedAt, result))
      .finally(() => {
        this.queued.delete(sidecarPath);
        if (this.deferred > 0 && this.pool?.queueDepth === 0 && !this.scanInProgress) {
          this.scanning = this.scanBacklog();
        }
      });
  }

  private async finish(
    sidecarPath: string,
    record: ImageRecord,
    queuedAt: number,
    outcome: JobOutcome | undefined,
  ): Promise<void> {
    // The pool closed (shutdown) before it reached the image: not a result; the image keeps no
    // analysis, so the next start classifies it.
    if (outcome && !outcome.ok && outcome.reason === 'closed') return;
    const { analysis, frame } = this.interpret(record, outcome, this.clock.now() - queuedAt);
    const seconds = outcome?.ok ? (outcome.decodeMs + outcome.inferenceMs) / 1000 : 0;
    this.events.emit(
      'classified',
      analysis.status === 'analysed' ? frame.verdict : analysis.status,
      analysis.label ?? '',
      seconds,
    );
    // Without a model nothing is recorded: a later start with a model analyses the image then.
    let recorded: ImageRecord | undefined;
    if (this.pool) {
      try {
        recorded = await this.images.updateRecord({ sidecarPath }, { analysis });
      } catch (error) {
        this.logger.error({
          msg: 'analysis could not be recorded',
          sidecarPath,
          error: (error as Error).message,
        });
      }
    }
    if (recorded) this.events.emit('analysed', recorded);
    this.logger.log({
      msg: 'image analysed',
      imageId: record.imageId,
      deviceId: record.deviceId,
      status: analysis.status,
      verdict: analysis.verdict,
      label: analysis.label,
      confidence: analysis.confidence,
    });
    if (this.clock.now() - Date.parse(record.timings.storedAt) <= FRESH_RESULT_MS) {
      this.results.push(record.clientType, frame, record.source);
    }
  }

  private interpret(
    record: ImageRecord,
    outcome: JobOutcome | undefined,
    queuedMs: number,
  ): { analysis: AnalysisRecord; frame: AnalysisResult } {
    const model = this.pool?.model;
    const base = {
      backend: model?.backend ?? null,
      modelId: model?.modelId ?? null,
      analysedAt: new Date(this.clock.now()).toISOString(),
    };
    if (!outcome || !outcome.ok || !model) {
      const status =
        outcome && !outcome.ok && outcome.reason === 'undecodable' ? 'undecodable' : 'unavailable';
      const message = outcome && !outcome.ok ? outcome.message : 'analysis disabled';
      return {
        analysis: {
          status,
          verdict: null,
          label: null,
          classIndex: null,
          confidence: null,
          scores: null,
          message,
          ...base,
          timings: { queuedMs, decodeMs: null, inferenceMs: null },
        },
        frame: {
          kind: 'analysis-result',
          deviceId: record.deviceId,
          status: status === 'undecodable' ? AnalysisStatus.Undecodable : AnalysisStatus.Unavailable,
          verdict: Verdict.Uncertain,
          classIndex: NO_CLASS,
          confidence: 0,
          label: '',
        },
      };
    }
    const decision = decide(outcome.scores, model.labels, this.policy);
    const confidence = confidenceFromScore(decision.score);
    return {
      analysis: {
        status: 'analysed',
        verdict: VERDICT_NAMES[decision.verdict],
        label: decision.label,
        classIndex: decision.classIndex,
        confidence: decision.score,
        scores: Object.fromEntries(model.labels.map((label, index) => [label, outcome.scores[index] ?? 0])),
        ...base,
        timings: { queuedMs, decodeMs: outcome.decodeMs, inferenceMs: outcome.inferenceMs },
      },
      frame: {
        kind: 'analysis-result',
        deviceId: record.deviceId,
        status: AnalysisStatus.Analysed,
        verdict: decision.verdict,
        classIndex: decision.classIndex,
        confidence,
        label: decision.label,
      },
    };
  }

  /** Queues stored images of the last ANALYSIS_BACKLOG_DAYS that have no analysis yet. */
  private async scanBacklog(): Promise<void> {
    if (this.env.ANALYSIS_BACKLOG_DAYS === 0 || this.scanInProgress || this.stopping) return;
    this.scanInProgress = true;
    try {
      await this.queueBacklog();
    } finally {
      this.scanInProgress = false;
    }
  }

  private async queueBacklog(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    const oldestDay = new Date(this.clock.now() - (this.env.ANALYSIS_BACKLOG_DAYS - 1) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    let found = 0;
    do {
      this.deferred = 0;
      for await (const sidecarPath of this.images.sidecars(oldestDay)) {
        if (this.queued.has(sidecarPath)) continue;
        let record: ImageRecord;
        try {
          record = JSON.parse(await readFile(sidecarPath, 'utf8')) as ImageRecord;
        } catch {
          continue;
        }
        if (record.analysis !== undefined) continue;
        // A full queue pauses the scan where it is, and it goes on as the workers take images:
        // starting over after each drain would read every sidecar before it again, on the loop.
        await pool.whenRoom();
        if (this.stopping) return;
        found++;
        this.enqueue(sidecarPath, record);
      }
      // Images that came while the queue was full may lie behind the scan: another pass for them.
    } while (this.deferred > 0 && !this.stopping);
    if (found > 0) this.logger.log({ msg: 'stored images without analysis queued', count: found });
  }
}

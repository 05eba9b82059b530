import type { Clock } from '../common/clock.js';
import type { ImageStore } from '../storage/image-store.js';
import type {
  AnalysedImage,
  ClassifierLoad,
  ClassifierSettings,
  FromClassifier,
  ImageToAnalyse,
} from './analysis-protocol.js';
import { analysisOf, shadowAnalysisOf, unavailableAnalysis, type AnalysisRecord } from './analysis-record.js';
import { BacklogScan, readRecord } from './backlog-scan.js';
import type { ClassifiedImage, ClassifierPool, Lane } from './classifier-pool.js';
import type { ModelChoice } from './worker-protocol.js';
import { verdictPolicyFrom, type VerdictPolicy } from './verdict.js';

/** While the backlog scan finds images, the gateway is told the load at most this often. */
const LOAD_REPORT_MS = 100;

/** The JPEG beside a sidecar. */
export const imagePathOf = (sidecarPath: string): string => sidecarPath.replace(/\.json$/, '.jpg');

/**
 * The classifier process's work, in its main thread: fresh images from the gateway go to the
 * pool's fresh lane; stored images without analysis (the `BacklogScan` of the last `backlogDays`
 * days) fill the backlog lane behind them. Each batch's analyses are sent to the gateway first
 * (its cameras are waiting), then recorded in the sidecars (atomically, fsynced), then reported
 * recorded. Fresh images that found the lane full stay on disk and are scanned for once it drains.
 */
export class AnalysisRunner {
  private readonly policy: VerdictPolicy;
  /** Sidecars queued, being classified or being recorded: none is taken twice. */
  private readonly taken = new Set<string>();
  private readonly backlog: BacklogScan;
  private pendingAnalysed: AnalysedImage[] = [];
  private readonly recordings = new Set<Promise<void>>();
  private recording = 0;
  /** Fresh images found their lane full: scan for them once it has drained. */
  private scanWanted = false;
  private stopping = false;
  private loadSentAt = -Infinity;

  constructor(
    settings: ClassifierSettings,
    private readonly pool: ClassifierPool,
    private readonly store: ImageStore,
    private readonly clock: Clock,
    private readonly send: (message: FromClassifier) => void,
  ) {
    this.policy = verdictPolicyFrom(settings.passLabels, settings.confidenceThreshold);
    this.backlog = new BacklogScan(
      settings.backlogDays,
      store,
      clock,
      {
        has: (sidecarPath) => this.taken.has(sidecarPath),
        hasRoom: () => !this.stopping && pool.hasRoom('backlog'),
        take: (image) => this.queue(image, 'backlog'),
      },
      (found, done) => {
        if (done) {
          this.send({
            type: 'log',
            level: 'info',
            entry: { msg: 'stored images without analysis found', count: found },
          });
        }
        // The gateway's queue depth grows as the walk finds the backlog, not once it is done.
        const now = this.clock.now();
        if (done || now - this.loadSentAt >= LOAD_REPORT_MS) {
          this.loadSentAt = now;
          this.send({ type: 'load', ...this.load });
        }
      },
    );
  }

  get load(): ClassifierLoad {
    const inPool = this.pool.backlog;
    return {
      waiting: this.pool.queueDepth + this.backlog.waiting,
      busy: inPool - this.pool.queueDepth + this.recording,
    };
  }

  /** Told by the pool as images leave their lane (their decoding starts). */
  started(imagePaths: readonly string[]): void {
    const sidecarPaths = imagePaths.map((path) => path.replace(/\.jpg$/, '.json'));
    this.send({ type: 'batch', sidecarPaths, ...this.load });
    // The lane has room again.
    void this.backlog.feed();
  }

  analyse(images: readonly ImageToAnalyse[]): void {
    for (const image of images) {
      if (!this.queue(image, 'fresh')) this.scanWanted = true;
    }
  }

  /** Runs `models` from now on; answers `models-used`, or `models-refused` keeping the models in use. */
  async useModels(requestId: number, models: ModelChoice): Promise<void> {
    try {
      this.send({ type: 'models-used', requestId, models: await this.pool.useModels(models) });
    } catch (error) {
      this.send({ type: 'models-refused', requestId, message: (error as Error).message });
    }
  }

  /** Scans for stored images without analysis (at start, and when the gateway left some on disk). */
  rescan(): void {
    void this.backlog.request();
  }

  /** Records each of these (images the process died on, twice) as failed, without classifying. */
  async giveUp(images: readonly { sidecarPath: string; message: string }[]): Promise<void> {
    const model = this.pool.model;
    for (const { sidecarPath, message } of images) {
      const record = await readRecord(sidecarPath);
      if (!record || record.analysis !== undefined) continue;
      // Taken until recorded, so that the backlog scan does not queue it meanwhile.
      this.taken.add(sidecarPath);
      this.analysed({
        sidecarPath,
        record,
        analysis: unavailableAnalysis(message, model, 0, this.clock.now()),
      });
    }
  }

  /** Takes nothing more and waits for the analyses under way to be recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.backlog.stop();
    await this.pool.close();
    this.flush();
    await Promise.all(this.recordings);
  }

  /** Queues one image; false when its lane is full (it stays on disk for a later scan). */
  private queue(image: ImageToAnalyse, lane: Lane): boolean {
    if (this.stopping) return true;
    if (this.taken.has(image.sidecarPath)) return true;
    const outcome = this.pool.classify(imagePathOf(image.sidecarPath), lane);
    if (!outcome) return false;
    this.taken.add(image.sidecarPath);
    void outcome.then((classified) => this.classified(image, classified));
    return true;
  }

  private classified(image: ImageToAnalyse, classified: ClassifiedImage): void {
    // Closed (the process is stopping): not a result; the image keeps no analysis for the next start.
    if (!classified.ok && classified.reason === 'closed') {
      this.taken.delete(image.sidecarPath);
      return;
    }
    // The models of the worker that classified it: during a swap, the old or the new ones.
    const models = classified.models ?? this.pool.models!;
    const now = this.clock.now();
    const analysis: AnalysisRecord = analysisOf(
      classified,
      models.active,
      this.policy,
      { queuedMs: now - image.queuedAt, waitedMs: classified.waitedMs, batchSize: classified.batchSize },
      now,
    );
    const shadow =
      classified.ok && classified.shadow && models.shadow
        ? shadowAnalysisOf(classified.shadow, models.shadow, this.policy, now)
        : undefined;
    this.analysed({ sidecarPath: image.sidecarPath, record: image.record, analysis, shadow });
  }

  /** Collects the analyses of one batch (its outcomes settle together) into one message. */
  private analysed(image: AnalysedImage): void {
    this.pendingAnalysed.push(image);
    this.recording++;
    if (this.pendingAnalysed.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const images = this.pendingAnalysed;
    if (images.length === 0) return;
    this.pendingAnalysed = [];
    this.send({ type: 'analysed', images, ...this.load });
    const recording = this.record(images);
    this.recordings.add(recording);
    void recording.finally(() => this.recordings.delete(recording));
  }

  private async record(images: readonly AnalysedImage[]): Promise<void> {
    const written = await Promise.all(
      images.map(async ({ sidecarPath, analysis, shadow }) => {
        try {
          return await this.store.updateRecord({ sidecarPath }, shadow ? { analysis, shadow } : { analysis });
        } catch (error) {
          this.send({
            type: 'log',
            level: 'error',
            entry: { msg: 'analysis could not be recorded', sidecarPath, error: (error as Error).message },
          });
          return undefined;
        }
      }),
    );
    for (const { sidecarPath } of images) this.taken.delete(sidecarPath);
    this.recording -= images.length;
    this.send({
      type: 'recorded',
      sidecarPaths: images.map((image) => image.sidecarPath),
      records: written.filter((record) => record !== undefined),
      ...this.load,
    });
    if (this.scanWanted && this.pool.queueDepth === 0) {
      this.scanWanted = false;
      void this.backlog.request();
    }
  }
}

import { Worker } from 'node:worker_threads';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { Environment } from '../config/index.js';
import type { StoredImage } from '../storage/image-record.js';
import { ImageStore } from '../storage/image-store.js';
import { StoreEvents } from '../storage/store-events.js';
import { FoundFeed } from './found-feed.js';
import { RetentionEvents } from './retention-events.js';
import { kindOf, retentionPolicyFrom } from './retention-policy.js';
import type { RoomTargets } from './room-targets.js';
import type { FoundImage, Orphan } from './store-scan.js';
import type { FromRetentionWorker, RetentionWorkerData, ToRetentionWorker } from './worker-messages.js';

/** A retention thread that dies is started again after this long. */
const RESTART_DELAY_MS = 5_000;

/** How long a stop waits for the thread to finish its slice. */
const STOP_TIMEOUT_MS = 2_000;

/** What the store holds: images and sidecars, bytes on disk. */
export interface StoreTotalsSnapshot {
  readonly bytes: number;
  readonly images: number;
  /** False while the start-up scan runs: the totals are then what it has counted so far. */
  readonly scanned: boolean;
}

/**
 * The store's inventory and retention, seen from the event loop. The work runs on a thread of
 * its own (retention.worker.ts): the start-up scan that rebuilds the totals (starting with the
 * application, delaying nothing), and the pruning passes. Here it is told of every image stored
 * or rewritten (`StoreEvents`), relays what the thread removed (`StoreEvents` `removed`), and
 * removes, through the store, the halves of images a crash left.
 *
 * For other readers of the store (an index of recent records): `found()` gives the images the
 * scan finds, `StoreEvents` tells of those stored and removed after.
 */
@Injectable()
export class StoreInventory implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  /** Files changed before this are a previous process's: when this process started. */
  private readonly startedAt = Math.floor(performance.timeOrigin);
  private worker: Worker | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private latest: StoreTotalsSnapshot = { bytes: 0, images: 0, scanned: false };
  private latestTargets: RoomTargets | undefined;
  private fileSystemBytes: number | undefined;
  private readonly feeds: FoundFeed[] = [];
  private feedsOpen = true;
  /** Removals of crash leftovers, one after the other. */
  private reconciling: Promise<void> = Promise.resolve();
  private readonly reconciled = { image: 0, sidecar: 0 };

  constructor(
    private readonly env: Environment,
    private readonly images: ImageStore,
    private readonly storeEvents: StoreEvents,
    readonly events: RetentionEvents,
  ) {}

  /** The running totals (the last the retention thread sent). */
  get totals(): StoreTotalsSnapshot {
    return this.latest;
  }

  /** The cap and free-space targets in force, once the thread has read the file system. */
  get targets(): RoomTargets | undefined {
    return this.latestTargets;
  }

  /**
   * The images the start-up scan finds, oldest day first, ending when the scan does: each with
   * its id and bytes, and its record (the sidecar) for days from `recordsFromDay` on. Ask before
   * the application has started (in a constructor or `onModuleInit`); the scan then waits for
   * the slowest reader. After that, `StoreEvents` tells what changes.
   */
  found(options: { recordsFromDay?: string } = {}): AsyncIterable<FoundImage> {
    const feed = new FoundFeed(options.recordsFromDay, () => this.feedTaken());
    if (this.feedsOpen) this.feeds.push(feed);
    else feed.end();
    return feed;
  }

  onModuleInit(): void {
    this.storeEvents.on('stored', (stored) => this.onStored(stored));
    this.storeEvents.on('updated', (sidecarPath, _before, after, bytes) => {
      const ref = this.refOf(sidecarPath.replace(/\.json$/, ''));
      if (ref) this.send({ type: 'updated', ...ref, ...bytes, kind: kindOf(after) });
    });
  }

  onApplicationBootstrap(): void {
    this.feedsOpen = false;
    this.startWorker();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      const stopped = new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.on('message', (message: FromRetentionWorker) => {
          if (message.type === 'stopped') resolve();
        });
      });
      worker.postMessage({ type: 'stop' } satisfies ToRetentionWorker);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await worker.terminate();
    }
    await this.reconciling;
    for (const feed of this.feeds) feed.end();
  }

  private startWorker(): void {
    const recordsFromDay = this.feeds
      .map((feed) => feed.recordsFromDay)
      .filter((day): day is string => day !== undefined)
      .sort()[0];
    const data: RetentionWorkerData = {
      root: this.images.root,
      policy: retentionPolicyFrom(this.env),
      settings: {
        RETENTION_MAX_BYTES: this.env.RETENTION_MAX_BYTES,
        MIN_FREE_DISK_BYTES: this.env.MIN_FREE_DISK_BYTES,
        MAX_IMAGE_BYTES: this.env.MAX_IMAGE_BYTES,
      },
      startedAt: this.startedAt,
      countedBefore: Date.now(),
      nice: this.env.BACKGROUND_THREADS_NICE,
      feedFound: this.feeds.length > 0,
      recordsFromDay,
    };
    const worker = new Worker(new URL('./retention.worker.js', import.meta.url), { workerData: data });
    this.worker = worker;
    worker.on('message', (message: FromRetentionWorker) => this.onMessage(message));
    worker.on('error', (error) => this.events.emit('failed', error.stack ?? error.message));
    worker.on('exit', () => {
      if (this.worker !== worker || this.stopping) return;
      this.worker = undefined;
      this.events.emit('failed', 'the retention thread stopped; it starts again');
      this.restartTimer = setTimeout(() => this.startWorker(), RESTART_DELAY_MS).unref();
    });
    this.logger.log({
      msg: 'store scan started',
      root: this.images.root,
      maxBytes: this.env.RETENTION_MAX_BYTES,
      maxAgeDays: this.env.RETENTION_MAX_AGE_DAYS,
      defectMaxAgeDays: this.env.RETENTION_DEFECT_MAX_AGE_DAYS,
    });
  }

  private onMessage(message: FromRetentionWorker): void {
    switch (message.type) {
      case 'targets':
        this.latestTargets = message.targets;
        this.fileSystemBytes = message.fileSystemBytes;
        break;
      case 'totals':
        this.latest = { bytes: message.bytes, images: message.images, scanned: message.scanned };
        break;
      case 'removed':
        this.storeEvents.emit('removed', message.imageIds, message.reason);
        break;
      case 'pass':
        this.events.emit('pass', message.report, message.durationMs);
        break;
      case 'orphans':
        for (const orphan of message.orphans) this.reconcile(orphan);
        break;
      case 'found':
        for (const feed of this.feeds) feed.push(this.forFeed(feed, message.images));
        break;
      case 'scan-progress':
        this.events.emit('scanProgress', message.images, message.bytes, message.days, message.ofDays);
        break;
      case 'scanned': {
        for (const feed of this.feeds) feed.end();
        const { images, bytes, days, temporaryRemoved, durationMs } = message;
        void this.reconciling.then(() =>
          this.events.emit('scanned', {
            images,
            bytes,
            days,
            imagesWithoutSidecar: this.reconciled.image,
            sidecarsWithoutImage: this.reconciled.sidecar,
            temporaryRemoved,
            durationMs,
          }),
        );
        break;
      }
      case 'failed':
        this.events.emit('failed', message.message);
        break;
      case 'stopped':
        break;
    }
  }

  /** Size of the storage file system, once read. */
  get storageFileSystemBytes(): number | undefined {
    return this.fileSystemBytes;
  }

  private onStored(stored: StoredImage): void {
    const ref = this.refOf(stored.imagePath.replace(/\.jpg$/, ''));
    if (ref) this.send({ type: 'stored', ...ref });
  }

  /** Day, device folder and stem of a path without extension under the store's root. */
  private refOf(stemPath: string): { day: string; device: string; stem: string } | undefined {
    if (!stemPath.startsWith(`${this.images.root}/`)) return undefined;
    const [day, device, stem, ...rest] = stemPath.slice(this.images.root.length + 1).split('/');
    return day && device && stem && rest.length === 0 ? { day, device, stem } : undefined;
  }

  private send(message: ToRetentionWorker): void {
    this.worker?.postMessage(message);
  }

  private reconcile(orphan: Orphan): void {
    this.reconciling = this.reconciling.then(async () => {
      try {
        const removed = await this.images.removeOrphan(orphan.imageId, this.startedAt);
        if (!removed) return;
        this.reconciled[removed]++;
        this.events.emit('reconciled', { imageId: orphan.imageId, part: removed });
      } catch (error) {
        this.logger.warn({
          msg: 'a crash leftover could not be removed',
          imageId: orphan.imageId,
          error: (error as Error).message,
        });
      }
    });
  }

  private forFeed(feed: FoundFeed, images: readonly FoundImage[]): FoundImage[] {
    const from = feed.recordsFromDay;
    return images.map((image) =>
      image.record && (from === undefined || image.imageId.slice(0, 10) < from)
        ? { imageId: image.imageId, bytes: image.bytes }
        : image,
    );
  }

  private feedTaken(): void {
    if (this.feeds.every((feed) => feed.drained)) this.send({ type: 'scan-more' });
  }
}

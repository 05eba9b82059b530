import { access, readdir } from 'node:fs/promises';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ClassificationEvents } from '../classification/classification-events.js';
import { CLOCK, type Clock, type TimerHandle } from '../common/clock.js';
import { Environment } from '../config/index.js';
import { LiveEvents } from '../live/live-events.js';
import type { ImageRecord } from '../storage/image-record.js';
import { ImageStore } from '../storage/image-store.js';
import { openStoredFile, StoredFileUnavailable, type OpenStoredFile } from '../storage/stored-file.js';
import { TransferEvents } from '../transfers/transfer-events.js';
import { DeviceRegistry } from './device-registry.js';
import { RecentImages, type IndexedImage } from './recent-images.js';
import { scanRecentRecords } from './recent-images-scan.js';
import { ResultsEvents } from './results-events.js';

/** How often the index checks that the day folders of its images still exist (pruned days). */
const PRUNED_DAYS_CHECK_MS = 60_000;

/**
 * Keeps the index of recent images and the registry of devices up to date from what the gateway
 * does (an image stored, its analysis recorded) and from a start-up scan of the disk, and tells
 * the live stream. Everything the pages and the API answer comes from here, from memory.
 */
@Injectable()
export class ResultsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Results');
  readonly images: RecentImages;
  readonly devices = new DeviceRegistry();
  private finishScan!: () => void;
  private readonly scanned = new Promise<void>((resolve) => (this.finishScan = resolve));
  private stopped = false;
  private prunedDaysCheck: TimerHandle | undefined;

  constructor(
    env: Environment,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly store: ImageStore,
    private readonly transfers: TransferEvents,
    private readonly classification: ClassificationEvents,
    private readonly live: LiveEvents,
    readonly events: ResultsEvents,
  ) {
    this.images = new RecentImages(env.RESULTS_INDEX_MAX);
  }

  /** Resolves once the start-up scan is done (or failed): the index holds what the disk had. */
  get indexed(): Promise<void> {
    return this.scanned;
  }

  onModuleInit(): void {
    this.transfers.on('completed', (_transfer, stored) => this.stored(stored.record));
    this.classification.on('analysed', (record) => this.analysed(record));
  }

  onApplicationBootstrap(): void {
    // Not awaited: the UDP side starts without waiting for the scan; what comes live meanwhile
    // is kept, and the scan adds only what the index does not have.
    void this.scan().finally(() => this.finishScan());
    this.prunedDaysCheck = this.clock.setInterval(() => void this.forgetPrunedDays(), PRUNED_DAYS_CHECK_MS);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.prunedDaysCheck?.cancel();
  }

  /**
   * The whole record of an image: from the index, once its photo is checked to be still there;
   * otherwise from its sidecar (an image older than the index). Undefined when gone or unknown.
   */
  async record(imageId: string): Promise<ImageRecord | undefined> {
    const photo = this.store.imagePathOf(imageId);
    if (!photo) return undefined;
    const indexed = this.images.get(imageId);
    if (indexed) {
      try {
        await access(photo);
        return indexed.record;
      } catch {
        this.forget(imageId);
        return undefined;
      }
    }
    let file: OpenStoredFile | undefined;
    try {
      file = await openStoredFile(this.store.root, photo.replace(/\.jpg$/, '.json'));
      return JSON.parse(await file.handle.readFile('utf8')) as ImageRecord;
    } catch {
      return undefined;
    } finally {
      await file?.handle.close();
    }
  }

  /**
   * Opens the photo of an image for reading, never through a link out of the store.
   * @throws StoredFileUnavailable; when the file is missing, the image also leaves the index.
   */
  async openPhoto(imageId: string): Promise<OpenStoredFile> {
    const path = this.store.imagePathOf(imageId);
    if (!path) throw new StoredFileUnavailable('missing', imageId);
    try {
      return await openStoredFile(this.store.root, path);
    } catch (error) {
      if (error instanceof StoredFileUnavailable && error.reason === 'missing') this.forget(imageId);
      throw error;
    }
  }

  /** An image whose files are gone (pruned, removed by hand): it leaves the index. */
  forget(imageId: string): void {
    if (this.images.forget(imageId)) this.logger.debug({ msg: 'image gone from the store', imageId });
  }

  /** A record a person reviewed (or took the review back of): the index and the live stream learn of it. */
  reviewed(record: ImageRecord): void {
    this.images.upsert(record);
    this.live.publish('image.reviewed', { imageId: record.imageId, review: record.review ?? null });
  }

  private stored(record: ImageRecord): void {
    const { image } = this.images.upsert(record);
    this.devices.observe(image.summary, image.storedAtMs);
    this.live.publish('image.stored', image.summary);
    this.publishDevice(image);
    this.events.emit('stored', image.summary);
  }

  private analysed(record: ImageRecord): void {
    const { image, previous } = this.images.upsert(record);
    this.devices.observe(image.summary, image.storedAtMs, previous?.summary);
    this.live.publish('image.analysed', image.summary);
    this.publishDevice(image);
    this.events.emit('analysed', image.summary, record);
  }

  private publishDevice(image: IndexedImage): void {
    const device = this.devices.summary(image.summary.deviceKey, this.clock.now());
    if (!device) return;
    this.live.publish('device.seen', device);
    this.events.emit('device', device);
  }

  private async scan(): Promise<void> {
    const startedAt = this.clock.now();
    let added = 0;
    try {
      for await (const records of scanRecentRecords(this.store, this.images.capacity)) {
        if (this.stopped) return;
        for (const image of this.images.addScanned(records)) {
          this.devices.observe(image.summary, image.storedAtMs);
          added++;
        }
      }
      this.logger.log({
        msg: 'recent images indexed',
        images: added,
        devices: this.devices.size,
        ms: this.clock.now() - startedAt,
      });
    } catch (error) {
      this.logger.error({ msg: 'start-up scan of recent images failed', error: (error as Error).message });
    }
  }

  /** Day folders removed (retention) take their images out of the index. */
  private async forgetPrunedDays(): Promise<void> {
    let days: Set<string>;
    try {
      days = new Set(await readdir(this.store.root));
    } catch {
      return;
    }
    const forgotten = this.images.forgetWhere((image) => !days.has(image.imageId.slice(0, 10)));
    if (forgotten > 0) this.logger.log({ msg: 'images of pruned days left the index', images: forgotten });
  }
}

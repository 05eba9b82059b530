import type { ImageSummary, VerdictName } from './image-summary.js';

/** The windows a device's defect rate is given over. */
export const DEFECT_RATE_WINDOW_MS = 3_600_000;
export const DEFECT_RATE_WINDOW_IMAGES = 100;

/** Most images a device keeps for its windows, however many came within the hour. */
const MAX_RECENT_PER_DEVICE = 10_000;

/** A defect rate over a window: defects among the analysed images with a verdict. */
export interface DefectRate {
  readonly analysed: number;
  readonly defects: number;
  /** defects / analysed; null when nothing was analysed in the window. */
  readonly rate: number | null;
}

/** What `GET /api/devices` and the `device.seen` event tell of one camera. */
export interface DeviceSummary {
  /** `<device id>_<address>`, as in image ids and MQTT topics. */
  readonly deviceKey: string;
  readonly deviceId: number;
  readonly address: string;
  readonly flowMode: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly lastImageId: string;
  /** Images seen (see README: those found at start-up among the newest, and every one since). */
  readonly images: number;
  readonly verdicts: Readonly<Record<VerdictName, number>>;
  /** Images without a verdict: not analysed yet, undecodable or analysis unavailable. */
  readonly withoutVerdict: number;
  readonly defectRateLastHour: DefectRate;
  readonly defectRateLast100: DefectRate;
}

interface RecentImage {
  readonly imageId: string;
  readonly storedAtMs: number;
  verdict: VerdictName | null;
}

class Device {
  deviceId: number;
  address: string;
  flowMode: string;
  firstSeenAtMs: number;
  lastSeenAtMs: number;
  lastImageId: string;
  images = 0;
  readonly verdicts: Record<VerdictName, number> = { pass: 0, defect: 0, uncertain: 0 };
  withoutVerdict = 0;
  /** Oldest first by time stored. */
  private readonly recent: RecentImage[] = [];
  private readonly recentById = new Map<string, RecentImage>();

  constructor(
    readonly key: string,
    image: ImageSummary,
    storedAtMs: number,
  ) {
    this.deviceId = image.deviceId;
    this.address = image.address;
    this.flowMode = image.flowMode;
    this.firstSeenAtMs = storedAtMs;
    this.lastSeenAtMs = storedAtMs;
    this.lastImageId = image.imageId;
  }

  add(image: ImageSummary, storedAtMs: number): void {
    this.images++;
    this.count(image.verdict, 1);
    this.firstSeenAtMs = Math.min(this.firstSeenAtMs, storedAtMs);
    if (storedAtMs >= this.lastSeenAtMs) {
      this.lastSeenAtMs = storedAtMs;
      this.lastImageId = image.imageId;
      this.address = image.address;
      this.flowMode = image.flowMode;
    }
    const entry: RecentImage = { imageId: image.imageId, storedAtMs, verdict: image.verdict };
    let at = this.recent.length;
    while (at > 0 && this.recent[at - 1]!.storedAtMs > storedAtMs) at--;
    this.recent.splice(at, 0, entry);
    this.recentById.set(entry.imageId, entry);
    this.trim();
  }

  update(previous: ImageSummary, image: ImageSummary): void {
    this.count(previous.verdict, -1);
    this.count(image.verdict, 1);
    const entry = this.recentById.get(image.imageId);
    if (entry) entry.verdict = image.verdict;
  }

  summary(nowMs: number): DeviceSummary {
    return {
      deviceKey: this.key,
      deviceId: this.deviceId,
      address: this.address,
      flowMode: this.flowMode,
      firstSeenAt: new Date(this.firstSeenAtMs).toISOString(),
      lastSeenAt: new Date(this.lastSeenAtMs).toISOString(),
      lastImageId: this.lastImageId,
      images: this.images,
      verdicts: { ...this.verdicts },
      withoutVerdict: this.withoutVerdict,
      defectRateLastHour: rateOf(
        this.recent.filter((entry) => entry.storedAtMs > nowMs - DEFECT_RATE_WINDOW_MS),
      ),
      defectRateLast100: rateOf(this.recent.slice(-DEFECT_RATE_WINDOW_IMAGES)),
    };
  }

  private count(verdict: VerdictName | null, delta: number): void {
    if (verdict === null) this.withoutVerdict += delta;
    else this.verdicts[verdict] += delta;
  }

  /** Keeps the newest 100 and those of the newest hour, within the cap. */
  private trim(): void {
    const newest = this.recent[this.recent.length - 1]!.storedAtMs;
    let drop = 0;
    while (
      this.recent.length - drop > DEFECT_RATE_WINDOW_IMAGES &&
      (this.recent.length - drop > MAX_RECENT_PER_DEVICE ||
        this.recent[drop]!.storedAtMs <= newest - DEFECT_RATE_WINDOW_MS)
    )
      drop++;
    for (const entry of this.recent.splice(0, drop)) this.recentById.delete(entry.imageId);
  }
}

function rateOf(images: readonly RecentImage[]): DefectRate {
  let analysed = 0;
  let defects = 0;
  for (const image of images) {
    if (image.verdict === null) continue;
    analysed++;
    if (image.verdict === 'defect') defects++;
  }
  return { analysed, defects, rate: analysed === 0 ? null : defects / analysed };
}

/**
 * Every camera seen, keyed by device id and address (a batch of cameras sharing a factory id are
 * told apart), with running counts per verdict and its defect rate over the last hour and the
 * last 100 images. Fed by the same records as the index of recent images.
 */
export class DeviceRegistry {
  private readonly devices = new Map<string, Device>();

  get size(): number {
    return this.devices.size;
  }

  /** A stored image (`previous` undefined) or a new state of one already counted (its analysis). */
  observe(image: ImageSummary, storedAtMs: number, previous?: ImageSummary): void {
    const device = this.devices.get(image.deviceKey);
    if (!device) {
      const created = new Device(image.deviceKey, image, storedAtMs);
      this.devices.set(image.deviceKey, created);
      created.add(image, storedAtMs);
    } else if (previous) device.update(previous, image);
    else device.add(image, storedAtMs);
  }

  summary(deviceKey: string, nowMs: number): DeviceSummary | undefined {
    return this.devices.get(deviceKey)?.summary(nowMs);
  }

  /** Every device, the most recently seen first. */
  summaries(nowMs: number): DeviceSummary[] {
    return [...this.devices.values()]
      .sort((a, b) => b.lastSeenAtMs - a.lastSeenAtMs || (a.key < b.key ? -1 : 1))
      .map((device) => device.summary(nowMs));
  }
}

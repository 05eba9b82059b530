import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import { distribution, type Distribution } from '../../apps/esp-sim/src/index.js';
import { RetentionEngine } from '../../src/retention/retention-engine.js';
import { DAY_MS } from '../../src/retention/retention-policy.js';
import { seedStore, type SeedImage } from '../../src/retention/testing/seed-store.js';
import { testWorkerData } from '../../src/retention/testing/worker-data.js';
import type { FromRetentionWorker } from '../../src/retention/worker-messages.js';
import type { BenchContext } from './bench-context.js';
import type { GatewayChild } from './gateway-child.js';
import { productionSettings, withGateway } from './gateway-runs.js';
import { PingClient } from './ping-client.js';

/** Cameras of the seeded store, and days it spans (the oldest pruned first). */
const STORE_DEVICES = 16;
const STORE_DAYS = 10;
/**
 * Its newest day, this many days back: before the classifier's start-up backlog (ANALYSIS_BACKLOG_DAYS,
 * 7), whose scan reads sidecars on the event loop, and within the age limit (30), so that the size cap
 * alone makes it go.
 */
const STORE_ENDS_DAYS_AGO = 10;
/** Bytes of each seeded JPEG: small, so that the store is written quickly; pruning costs per file, not per byte. */
const SEEDED_IMAGE_BYTES = 6000;
/** Every this many seeded images, a defect (kept longer, so walked over by the pruner). */
const DEFECT_EVERY = 14;
/** Cameras uploading during the ping phases (generation B, in a loop). */
const UPLOADING_DEVICES = 8;
/** RETENTION_MAX_BYTES of the gateway in the ping phases: the seeded store is far over it. */
const PING_CAP_BYTES = 20 * 1024 ** 2;
/** Pings before measuring. */
const WARM_UP_PINGS = 50;
/** Share of the busy pings that must be answered while the pruner is still at work. */
const MIN_BUSY_SHARE = 0.5;
const MAX_ATTEMPTS = 3;
/** How often the pruned counter is read (to stop the busy pings if the pruner is done). */
const POLL_MS = 250;

function seeds(count: number, now: number): SeedImage[] {
  return Array.from({ length: count }, (_, index) => ({
    // Spread over the days, oldest first, every camera in turn.
    acceptedAt:
      now - (STORE_ENDS_DAYS_AGO + STORE_DAYS) * DAY_MS + Math.floor((index * STORE_DAYS * DAY_MS) / count),
    deviceId: index % STORE_DEVICES,
    kind: index % DEFECT_EVERY === 0 ? 'kept-longer' : 'normal',
    imageBytes: SEEDED_IMAGE_BYTES,
  }));
}

/**
 * Seeds a store and writes it back to disk (`sync`): the pruner then removes files long written,
 * as a store of weeks holds, not ones still in the page cache.
 */
function seedOnDisk(root: string, count: number): void {
  seedStore(root, seeds(count, Date.now()));
  execFileSync('sync');
}

/** Runs the retention engine on `root` as its thread does, until it has nothing left to do. */
function runEngine(root: string, maxBytes: string): FromRetentionWorker[] {
  const messages: FromRetentionWorker[] = [];
  const data = testWorkerData(root, {
    settings: { RETENTION_MAX_BYTES: maxBytes, MIN_FREE_DISK_BYTES: 0, MAX_IMAGE_BYTES: 524_288 },
  });
  const engine = new RetentionEngine(data, (message) => messages.push(message));
  engine.start();
  while (engine.work(20));
  return messages;
}

/**
 * Scan and pruning throughput of the retention engine on a real store (seeded files in the work
 * folder, on this machine's disk), run in the bench process exactly as the gateway's retention
 * thread runs it: first a scan with nothing to prune, then a scan and the passes that take the
 * store down to a tenth.
 */
function measureThroughput(context: BenchContext): void {
  const count = context.scale.retentionStoreImages;
  const root = join(context.workDir, 'retention-throughput');
  context.progress(
    `retention: seeding a store of ${count} images over ${STORE_DAYS} days, ${STORE_DEVICES} cameras`,
  );
  seedOnDisk(root, count);
  const scan = runEngine(root, '0').find((message) => message.type === 'scanned');
  if (scan?.type !== 'scanned') throw new Error('the scan did not finish');
  context.record({
    key: 'retention.scan-images-per-second',
    section: 'retention',
    label: 'start-up scan',
    value: scan.images / (scan.durationMs / 1000),
    unit: 'images/s',
    detail: `${scan.images} images (${(scan.bytes / 1e6).toFixed(0)} MB on disk) in ${(scan.durationMs / 1000).toFixed(2)} s`,
  });
  const cap = Math.floor(scan.bytes / 10);
  const passes = runEngine(root, String(cap)).filter((message) => message.type === 'pass');
  const pruned = passes.reduce((sum, pass) => sum + (pass.type === 'pass' ? pass.report.pruned.size : 0), 0);
  const seconds = passes.reduce((sum, pass) => sum + (pass.type === 'pass' ? pass.durationMs : 0), 0) / 1000;
  context.record({
    key: 'retention.prune-images-per-second',
    section: 'retention',
    label: 'pruning (image and sidecar removed)',
    value: seconds > 0 ? pruned / seconds : null,
    unit: 'images/s',
    detail: `${pruned} images removed for size in ${passes.length} pass(es), ${seconds.toFixed(2)} s; 1 in ${DEFECT_EVERY} a defect, kept and walked over`,
  });
}

/** Cameras uploading the bench's JPEGs in a loop until stopped. */
async function uploadingFleet(context: BenchContext, gateway: GatewayChild): Promise<() => Promise<number>> {
  const devices = await Promise.all(
    Array.from({ length: UPLOADING_DEVICES }, (_, index) =>
      CameraDevice.open({ server: gateway.process.udp, firmware: FIRMWARE.B, deviceId: 200 + index }),
    ),
  );
  let stopped = false;
  let uploaded = 0;
  const loops = devices.map(async (device, index) => {
    for (let round = index; !stopped; round++) {
      const image = context.assets.images[round % context.assets.images.length]!;
      if ((await device.upload(image.bytes, { deadlineMs: 30_000 })).ok) uploaded++;
    }
  });
  let closed: Promise<void> | undefined;
  return async () => {
    stopped = true;
    closed ??= Promise.all(loops).then(
      async () => void (await Promise.all(devices.map((device) => device.close()))),
    );
    await closed;
    return uploaded;
  };
}

/** Watches the pruned counter: busy while it moves. */
class PrunerWatch {
  pruned = 0;
  lastChangeAt = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly gateway: GatewayChild) {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  async poll(): Promise<void> {
    try {
      const pruned = await this.gateway.metric('cable_inspector_images_pruned_total');
      if (pruned !== this.pruned) this.lastChangeAt = performance.now();
      this.pruned = pruned;
    } catch {
      // A missed poll keeps the last value.
    }
  }

  /** The seeded store is gone (bar what the cap keeps), the counter has settled. */
  done(seeded: number): boolean {
    return this.pruned >= seeded * 0.9 && performance.now() - this.lastChangeAt > 4 * POLL_MS;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface PingPhases {
  readonly idle: Distribution;
  readonly fleet: Distribution;
  readonly pruning: Distribution;
  readonly pruningShare: number;
}

/** Pings, the fleet uploading from before the first: warm-up, then the measured series. */
async function pingWithFleet(
  context: BenchContext,
  gateway: GatewayChild,
  until?: () => boolean,
): Promise<{ rttMs: number[] }> {
  const { pings, pingIntervalMs } = context.scale;
  const pinger = await PingClient.open(gateway.process.udp);
  const stopFleet = await uploadingFleet(context, gateway);
  try {
    await pinger.series(WARM_UP_PINGS, pingIntervalMs, 1000);
    return await pinger.series(pings, pingIntervalMs, 1000, until);
  } finally {
    context.progress(`retention: ${await stopFleet()} images uploaded by the fleet`);
    await pinger.close();
  }
}

/**
 * Ping round trips of production gateways: idle, and with a fleet uploading, on a store far below
 * its cap (the pruner idle);
 * then with the same fleet on a seeded store far over RETENTION_MAX_BYTES, while the pruner
 * works through it (its scan, then its passes) from the start.
 */
async function measurePings(
  context: BenchContext,
  count: number,
  attempt: number,
): Promise<PingPhases | undefined> {
  const { pings, pingIntervalMs } = context.scale;
  // As the other sections' production gateway (shared with them in a smoke run): its store is far
  // below the default cap, so its pruner has nothing to do.
  const { idle, fleet } = await withGateway(
    context,
    'retention, pruner idle',
    productionSettings(context),
    async (gateway) => {
      const pinger = await PingClient.open(gateway.process.udp);
      try {
        await pinger.series(WARM_UP_PINGS, pingIntervalMs, 1000);
        const idle = await pinger.series(pings, pingIntervalMs, 1000);
        return { idle, fleet: await pingWithFleet(context, gateway) };
      } finally {
        await pinger.close();
      }
    },
  );
  const storageDir = join(context.workDir, `retention-pings-${attempt}`, 'images');
  context.progress(
    `retention: seeding ${count} images for the pings (cap ${PING_CAP_BYTES / 1024 ** 2} MiB)`,
  );
  seedOnDisk(storageDir, count);
  const settings = {
    ...productionSettings(context),
    STORAGE_DIR: storageDir,
    RETENTION_MAX_BYTES: String(PING_CAP_BYTES),
  };
  return withGateway(context, `retention, pruner busy (attempt ${attempt})`, settings, async (gateway) => {
    const watch = new PrunerWatch(gateway);
    try {
      const busy = await pingWithFleet(context, gateway, () => watch.done(count));
      context.progress(`retention: ${watch.pruned} images pruned by the end of the pings`);
      if (busy.rttMs.length < pings * MIN_BUSY_SHARE) return undefined;
      return {
        idle: distribution(idle.rttMs),
        fleet: distribution(fleet.rttMs),
        pruning: distribution(busy.rttMs),
        pruningShare: busy.rttMs.length / pings,
      };
    } finally {
      watch.stop();
    }
  });
}

/**
 * Retention: scan and pruning throughput; ping p99 while a fleet uploads with the pruner busy,
 * against the fleet alone and idle.
 */
export async function runRetention(context: BenchContext): Promise<void> {
  measureThroughput(context);
  let count = context.scale.retentionStoreImages;
  let phases: PingPhases | undefined;
  for (let attempt = 1; !phases; attempt++) {
    phases = await measurePings(context, count, attempt);
    if (phases) break;
    if (attempt === MAX_ATTEMPTS)
      throw new Error(`Retention: even ${count} images were pruned before half the pings.`);
    count *= 4;
    context.progress(`retention: the pruner finished too soon; again with ${count} images`);
  }
  const text = (stats: Distribution) =>
    `${stats.count} pings: p50 ${stats.p50?.toFixed(3)} ms, p95 ${stats.p95?.toFixed(3)} ms, max ${stats.max?.toFixed(2)} ms`;
  const ratio = (a: Distribution, b: Distribution) =>
    a.p99 !== null && b.p99 !== null && b.p99 > 0 ? a.p99 / b.p99 : null;
  context.record({
    key: 'retention.ping-p99-idle-ms',
    section: 'retention',
    label: 'ping round trip p99, idle',
    value: phases.idle.p99,
    unit: 'ms',
    detail: text(phases.idle),
  });
  context.record({
    key: 'retention.ping-p99-fleet-ms',
    section: 'retention',
    label: 'ping round trip p99, fleet uploading, pruner idle',
    value: phases.fleet.p99,
    unit: 'ms',
    detail: text(phases.fleet),
  });
  context.record({
    key: 'retention.ping-p99-pruning-ms',
    section: 'retention',
    label: 'ping round trip p99, fleet uploading, pruner busy',
    value: phases.pruning.p99,
    unit: 'ms',
    detail: `${text(phases.pruning)}; store seeded with ${count} images, pruner busy for ${(phases.pruningShare * 100).toFixed(0)} % of the pings`,
  });
  context.record({
    key: 'retention.ratio-pruning-idle',
    section: 'retention',
    label: 'ping p99 pruner busy (fleet uploading) / idle',
    value: ratio(phases.pruning, phases.idle),
    unit: '×',
  });
  context.record({
    key: 'retention.ratio-pruning-fleet',
    section: 'retention',
    label: "ping p99 pruner busy / fleet alone (the pruner's own cost)",
    value: ratio(phases.pruning, phases.fleet),
    unit: '×',
  });
  context.note(
    `Retention: throughput measured in the bench process on a seeded store (${STORE_DEVICES} cameras, ${STORE_DAYS} days ending ` +
      `${STORE_ENDS_DAYS_AGO} days ago, before the classifier's start-up backlog, ` +
      `${SEEDED_IMAGE_BYTES}-byte JPEGs with sidecars, real files in the work folder), with the engine the gateway's retention ` +
      `thread runs. Pings: a production gateway starts on a seeded store far over RETENTION_MAX_BYTES=${PING_CAP_BYTES}, ` +
      `${UPLOADING_DEVICES} generation-B cameras upload the bench JPEGs in a loop from the start, and pings ${context.scale.pingIntervalMs} ms apart ` +
      'are timed while the pruner works (its scan, then its passes); the same pings and fleet on a gateway whose store is far below ' +
      'its cap (pruner idle), and its pings with no fleet (idle), come first. Seeded stores are written back (sync) before use.',
  );
}

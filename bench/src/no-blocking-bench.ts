import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIRMWARE } from '#camera-emulator';
import {
  bindAddressFor,
  distribution,
  imagesFromFiles,
  runFleet,
  type Distribution,
} from '../../apps/esp-sim/src/index.js';
import type { BenchContext } from './bench-context.js';
import { sumSamples, type GatewayChild } from './gateway-child.js';
import { productionSettings, withGateway } from './gateway-runs.js';
import { PingClient, type PingSeries } from './ping-client.js';
import { describeScheduling, mainThreadScheduling } from './process-stats.js';

/** The no-blocking section. */
export interface NoBlockingResult {
  readonly idle: Distribution;
  readonly saturated: Distribution;
  /** p99 saturated / p99 idle. */
  readonly ratio: number | null;
  readonly lost: number;
  /** Stored images left for the classifier to work through. */
  readonly backlog: number;
}

/** Pings before measuring (the first ones warm the path up). */
const WARM_UP_PINGS = 50;

/** Devices that upload the backlog (generation B: no per-packet ACK, the fastest). */
const UPLOADING_DEVICES = 16;

/** Classifier rate assumed when the classification section did not run. */
const ASSUMED_IMAGES_PER_SECOND = 100;

/** Most images uploaded for the backlog. */
const MAX_BACKLOG = 3000;

/** How often the classifier's progress is read from /metrics (in both phases, for fairness). */
const POLL_MS = 1000;

/** Classifying the gateway does between its start and the first ping (start-up, readiness). */
const START_UP_SECONDS = 1;

/** Attempts with a growing backlog when it drained before enough saturated pings. */
const MAX_ATTEMPTS = 3;
const BACKLOG_GROWTH = 4;

/** Share of the saturated pings that must be answered while the backlog is still queued. */
const MIN_SATURATED_SHARE = 0.5;

/** Longest wait for the gateway to report its backlog after it started. */
const BACKLOG_REPORT_TIMEOUT_MS = 30_000;

/** Longest wait for the backlog to be classified before the idle pings. */
const DRAIN_TIMEOUT_MS = 120_000;

/** Watches the classifier through /metrics, at the same pace whatever the phase. */
class ClassifierWatch {
  depth = 0;
  classified = 0;
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly gateway: GatewayChild) {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const text = await this.gateway.metrics();
      this.depth = sumSamples(text, 'cable_inspector_classifier_queue_depth');
      this.classified = sumSamples(text, 'cable_inspector_classifications_total');
    } catch {
      // A missed poll keeps the last values.
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Uploads about `images` stored-but-unanalysed images into `storageDir` through a gateway without
 * analysis; returns how many were uploaded (a whole number per device).
 */
async function fillBacklog(context: BenchContext, storageDir: string, images: number): Promise<number> {
  const settings = { ANALYSIS_ENABLED: 'false', SPOOL_ENABLED: 'false', STORAGE_DIR: storageDir };
  const perDevice = Math.ceil(images / UPLOADING_DEVICES);
  await withGateway(context, 'no blocking, backlog upload', settings, async (gateway) => {
    const server = gateway.process.udp;
    const files = context.assets.images.map((image) => ({ name: image.name, bytes: image.bytes }));
    await runFleet({
      server,
      devices: Array.from({ length: UPLOADING_DEVICES }, (_, index) => ({
        firmware: FIRMWARE.B,
        deviceId: index,
        bindAddress: bindAddressFor('auto', server.address, 1000 + index),
      })),
      imagesPerDevice: perDevice,
      images: imagesFromFiles(files, perDevice),
      timeScale: 1,
      deadlineMs: 60_000,
    });
  });
  return perDevice * UPLOADING_DEVICES;
}

/**
 * No blocking: p99 round trip of pings `[0, id, 0]` while the gateway's classifier pool is
 * saturated, against the same gateway idle. The backlog is made first: images are uploaded to a
 * gateway without analysis, then a production gateway starts on the same storage and works through
 * them (its start-up backlog scan), so the saturated pings meet the classifier and nothing else.
 * Once the backlog is classified, the idle pings follow.
 */
export async function runNoBlocking(
  context: BenchContext,
  classifierRate: number | undefined,
): Promise<NoBlockingResult> {
  const { pings, pingIntervalMs, saturationMarginSeconds } = context.scale;
  const rate = classifierRate ?? ASSUMED_IMAGES_PER_SECOND;
  const windowSeconds =
    ((WARM_UP_PINGS + pings) * (pingIntervalMs + 0.5)) / 1000 + saturationMarginSeconds + START_UP_SECONDS;
  let wanted = Math.min(MAX_BACKLOG, Math.max(2 * UPLOADING_DEVICES, Math.ceil(rate * windowSeconds * 1.5)));
  for (let attempt = 1; ; attempt++) {
    const result = await measureWithBacklog(context, wanted, attempt, rate);
    if (result) return result;
    if (attempt === MAX_ATTEMPTS || wanted === MAX_BACKLOG) {
      throw new Error(
        `No blocking: even a backlog of ${wanted} images drained before ${MIN_SATURATED_SHARE * 100}% of the saturated pings.`,
      );
    }
    // The rate was underestimated (a smoke run measures the classifier on a few cold images).
    wanted = Math.min(MAX_BACKLOG, wanted * BACKLOG_GROWTH);
    context.progress(`no blocking: the backlog drained too soon; again with ${wanted} images`);
  }
}

/**
 * One attempt: uploads the backlog, starts a production gateway on it, pings it while it
 * classifies, then once idle. Undefined when the backlog drained before enough saturated pings.
 */
async function measureWithBacklog(
  context: BenchContext,
  wanted: number,
  attempt: number,
  rate: number,
): Promise<NoBlockingResult | undefined> {
  const { pings, pingIntervalMs } = context.scale;
  // A fresh directory each attempt: the backlog is only picked up when a gateway starts.
  const storageDir = join(context.workDir, `no-blocking-images-${attempt}`);
  context.progress(
    `no blocking: uploading ${wanted} images for the classifier's backlog (about ${rate.toFixed(0)} images/s)`,
  );
  const backlog = await fillBacklog(context, storageDir, wanted);
  const settings = { ...productionSettings(context), STORAGE_DIR: storageDir };
  return withGateway(context, 'no blocking', settings, async (gateway) => {
    const pinger = await PingClient.open(gateway.process.udp);
    const watch = new ClassifierWatch(gateway);
    try {
      // The classifier finds its backlog on disk as it starts: the saturated pings wait for it to show.
      const reportedBy = performance.now() + BACKLOG_REPORT_TIMEOUT_MS;
      await watch.poll();
      while (watch.depth === 0 && watch.classified === 0 && performance.now() < reportedBy) {
        await sleep(POLL_MS / 10);
        await watch.poll();
      }
      context.progress(
        `no blocking: ${pings} pings while the classifier works through the backlog (queue ${watch.depth})`,
      );
      // Saturated until the whole backlog is classified: its queue can stay empty meanwhile, the
      // backlog scan finding images about as fast as a pipelined classifier takes them.
      await pinger.series(WARM_UP_PINGS, pingIntervalMs, 1000, () => watch.classified >= backlog);
      const pid = gateway.process.pid;
      const timed = async (
        run: () => Promise<PingSeries>,
      ): Promise<{ series: PingSeries; scheduling: string }> => {
        const before = mainThreadScheduling(pid);
        const startedAt = performance.now();
        const series = await run();
        return {
          series,
          scheduling: describeScheduling(before, mainThreadScheduling(pid), performance.now() - startedAt),
        };
      };
      await watch.poll();
      const classifiedBefore = { count: watch.classified, at: performance.now() };
      const { series: saturated, scheduling: saturatedScheduling } = await timed(() =>
        pinger.series(pings, pingIntervalMs, 1000, () => watch.classified >= backlog),
      );
      await watch.poll();
      const classifiedPerSecond =
        ((watch.classified - classifiedBefore.count) * 1000) / (performance.now() - classifiedBefore.at);
      if (saturated.rttMs.length < pings * MIN_SATURATED_SHARE) return undefined;
      if (saturated.rttMs.length < pings) {
        context.note(
          `No blocking: the backlog drained after ${saturated.rttMs.length} of ${pings} saturated pings.`,
        );
      }
      const drainStartedAt = performance.now();
      while (watch.classified < backlog && performance.now() - drainStartedAt < DRAIN_TIMEOUT_MS)
        await sleep(POLL_MS);
      context.progress(
        `no blocking: ${pings} pings, classifier idle (${watch.classified} images classified)`,
      );
      const { series: idle, scheduling: idleScheduling } = await timed(() =>
        pinger.series(pings, pingIntervalMs),
      );
      const idleStats = distribution(idle.rttMs);
      const saturatedStats = distribution(saturated.rttMs);
      const ratio =
        idleStats.p99 !== null && saturatedStats.p99 !== null && idleStats.p99 > 0
          ? saturatedStats.p99 / idleStats.p99
          : null;
      record(
        context,
        { idle: idleStats, saturated: saturatedStats, idleScheduling, saturatedScheduling },
        ratio,
        {
          lost: idle.lost + saturated.lost,
          backlog,
          classifiedPerSecond,
        },
      );
      return { idle: idleStats, saturated: saturatedStats, ratio, lost: idle.lost + saturated.lost, backlog };
    } finally {
      watch.stop();
      await pinger.close();
    }
  });
}

interface Phases {
  readonly idle: Distribution;
  readonly saturated: Distribution;
  readonly idleScheduling: string;
  readonly saturatedScheduling: string;
}

function record(
  context: BenchContext,
  phases: Phases,
  ratio: number | null,
  { lost, backlog, classifiedPerSecond }: { lost: number; backlog: number; classifiedPerSecond: number },
): void {
  const { idle, saturated } = phases;
  const text = (stats: Distribution, scheduling: string): string =>
    `${stats.count} pings: p50 ${stats.p50?.toFixed(3)} ms, p95 ${stats.p95?.toFixed(3)} ms, max ${stats.max?.toFixed(2)} ms` +
    (scheduling ? `; ${scheduling}` : '');
  context.record({
    key: 'no-blocking.ping-p99-idle-ms',
    section: 'no-blocking',
    label: 'ping round trip p99, gateway idle',
    value: idle.p99,
    unit: 'ms',
    detail: text(idle, phases.idleScheduling),
  });
  context.record({
    key: 'no-blocking.ping-p99-saturated-ms',
    section: 'no-blocking',
    label: 'ping round trip p99, classifier pool saturated',
    value: saturated.p99,
    unit: 'ms',
    detail: `${text(saturated, phases.saturatedScheduling)}; backlog of ${backlog} stored images`,
  });
  context.record({
    key: 'no-blocking.ratio',
    section: 'no-blocking',
    label: 'ping p99 saturated / idle',
    value: ratio,
    unit: '×',
    detail: `${lost} pings unanswered in 1 s`,
  });
  context.record({
    key: 'no-blocking.classified-per-second',
    section: 'no-blocking',
    label: 'images the production gateway classified per second meanwhile (and recorded)',
    value: classifiedPerSecond,
    unit: 'images/s',
    detail: 'classifications counted by /metrics over the saturated pings',
  });
  context.note(
    `No blocking: pings sent one after the other, ${context.scale.pingIntervalMs} ms apart, from the bench process. ` +
      'The saturated pings run while the production gateway (its classifier process, 1 worker, backend ' +
      `${context.assets.bestBackend}) works through a backlog of ${backlog} stored images (uploaded beforehand through ` +
      'a gateway without analysis, then picked up by the start-up backlog scan): nothing else loads it. The idle pings ' +
      'follow once the backlog is classified. /metrics is read once a second in both phases.',
  );
}

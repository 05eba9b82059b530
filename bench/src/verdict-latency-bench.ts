import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIRMWARE } from '#camera-emulator';
import {
  bindAddressFor,
  distribution,
  imagesFromFiles,
  runFleet,
  type Distribution,
  type UploadRecord,
} from '../../apps/esp-sim/src/index.js';
import type { BenchContext } from './bench-context.js';
import type { GatewayChild } from './gateway-child.js';
import { productionSettings, withGateway } from './gateway-runs.js';
import { CpuWatch, type CpuShares } from './process-stats.js';
import { describeStages, verdictStages, type VerdictStages } from './verdict-stages.js';

/** One phase of the section: every camera's wait for its verdict, and where it went. */
export interface VerdictPhase {
  /** From the end of each upload (the camera's last ACK) to its op-4 result. */
  readonly latencyMs: Distribution;
  /** Uploads whose result never came. */
  readonly missing: number;
  readonly failedUploads: number;
  readonly stages: VerdictStages;
}

/** One round of the burst. */
export interface BurstRound {
  readonly p99: number | null;
  /** From the first upload's end to the last one's: how bunched the images came. */
  readonly uploadsEndSpanMs: number;
  /** From the uploads' start to the last verdict. */
  readonly wallMs: number;
  /** CPU time used meanwhile, by whom. */
  readonly cpuMs: CpuShares;
}

export interface VerdictLatencyResult {
  readonly burst: VerdictPhase;
  readonly burstRounds: readonly BurstRound[];
  readonly steady: VerdictPhase;
}

/** The deployed builds, given in turn, as in the fleet section. */
const BUILDS = [FIRMWARE.A_WIFI, FIRMWARE.A_ETHERNET, FIRMWARE.B];

/** How long a camera waits for its result after the upload. */
const RESULT_WAIT_MS = 15_000;

/** An upload unfinished after this long counts as failed. */
const DEADLINE_MS = 60_000;

/** The steady phase: each camera's pause between images, and the spread of their first ones. */
const STEADY_INTERVAL_MS = 1000;

/** Between two bursts: the classifier's queue must be empty, then this pause. */
const SETTLE_MS = 500;
const IDLE_TIMEOUT_MS = 60_000;

/** Bind addresses of this section's cameras start here (the other sections use lower ones). */
const ADDRESS_OFFSET = 2000;

/**
 * Verdict latency: how long cameras wait for their op-4 result after the upload, against a
 * production gateway (spool on, analysis on). Burst: `verdictDevices` cameras start one upload each
 * at the same moment, several rounds. Steady: the same cameras, spread over a second, each send an
 * image, pause a second, and so on. Each phase's sidecars split the wait into stages.
 */
export async function runVerdictLatency(context: BenchContext): Promise<VerdictLatencyResult> {
  const { verdictDevices, verdictBurstRounds, verdictSteadyImages } = context.scale;
  return withGateway(context, 'verdict latency', productionSettings(context), async (gateway) => {
    const burstUploads: UploadRecord[] = [];
    const burstRounds: BurstRound[] = [];
    const burstStartedAt = Date.now();
    for (let round = 1; round <= verdictBurstRounds; round++) {
      context.progress(
        `verdict latency: burst ${round}/${verdictBurstRounds}, ${verdictDevices} cameras uploading at once`,
      );
      await waitUntilIdle(gateway);
      const cpu = new CpuWatch(gateway.process.pid);
      const startedAt = performance.now();
      const uploads = await upload(context, gateway, { imagesPerDevice: 1 });
      const wallMs = performance.now() - startedAt;
      burstUploads.push(...uploads);
      const ends = uploads.map((each) => each.startedAtMs + each.transferMs);
      burstRounds.push({
        p99: latencies(uploads).p99,
        uploadsEndSpanMs: Math.max(...ends) - Math.min(...ends),
        wallMs,
        cpuMs: cpu.used(),
      });
    }
    const burst = await phase(gateway, burstStartedAt, burstUploads);
    context.progress(
      `verdict latency: steady, ${verdictDevices} cameras, ${verdictSteadyImages} images each, one a second`,
    );
    await waitUntilIdle(gateway);
    const steadyStartedAt = Date.now();
    const steadyUploads = await upload(context, gateway, {
      imagesPerDevice: verdictSteadyImages,
      rampMs: STEADY_INTERVAL_MS,
      intervalMs: STEADY_INTERVAL_MS,
    });
    const steady = await phase(gateway, steadyStartedAt, steadyUploads);
    record(context, { burst, burstRounds, steady });
    return { burst, burstRounds, steady };
  });
}

async function upload(
  context: BenchContext,
  gateway: GatewayChild,
  plan: { imagesPerDevice: number; rampMs?: number; intervalMs?: number },
): Promise<UploadRecord[]> {
  const server = gateway.process.udp;
  const files = context.assets.images.map((image) => ({ name: image.name, bytes: image.bytes }));
  const run = await runFleet({
    server,
    devices: Array.from({ length: context.scale.verdictDevices }, (_, index) => ({
      firmware: BUILDS[index % BUILDS.length]!,
      deviceId: index % 256,
      bindAddress: bindAddressFor('auto', server.address, ADDRESS_OFFSET + index),
    })),
    imagesPerDevice: plan.imagesPerDevice,
    images: imagesFromFiles(files, plan.imagesPerDevice),
    timeScale: 1,
    deadlineMs: DEADLINE_MS,
    awaitResultMs: RESULT_WAIT_MS,
    rampMs: plan.rampMs,
    intervalMs: plan.intervalMs,
  });
  return [...run.uploads];
}

function latencies(uploads: readonly UploadRecord[]): Distribution {
  return distribution(
    uploads.flatMap((each) => (each.result.analysis?.received ? [each.result.analysis.afterMs] : [])),
  );
}

async function phase(
  gateway: GatewayChild,
  startedAt: number,
  uploads: readonly UploadRecord[],
): Promise<VerdictPhase> {
  const latencyMs = latencies(uploads);
  const ok = uploads.filter((each) => each.result.ok);
  return {
    latencyMs,
    missing: ok.length - latencyMs.count,
    failedUploads: uploads.length - ok.length,
    stages: await verdictStages(gateway.storageDir, startedAt, uploads),
  };
}

/** Waits until the classifier has nothing queued (from /metrics), then a short pause. */
async function waitUntilIdle(gateway: GatewayChild): Promise<void> {
  const deadline = performance.now() + IDLE_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if ((await gateway.metric('cable_inspector_classifier_queue_depth')) === 0) break;
    await sleep(100);
  }
  await sleep(SETTLE_MS);
}

function record(context: BenchContext, result: VerdictLatencyResult): void {
  const { verdictDevices, verdictBurstRounds, verdictSteadyImages } = context.scale;
  const { burst, steady, burstRounds } = result;
  const rounds = burstRounds
    .map(
      (round) =>
        `${round.p99 === null ? 'n/a' : round.p99.toFixed(0)} ms (uploads ended within ${round.uploadsEndSpanMs.toFixed(0)} ms)`,
    )
    .join(', ');
  const mean = (pick: (round: BurstRound) => number): number =>
    burstRounds.reduce((sum, round) => sum + pick(round), 0) / Math.max(1, burstRounds.length);
  const cores = availableParallelism();
  const cpu =
    `per round on average ${mean((round) => round.wallMs).toFixed(0)} ms from the uploads' start to the last verdict ` +
    `(${cores} cores: ${(cores * mean((round) => round.wallMs)).toFixed(0)} ms of CPU to share), of which CPU: gateway ` +
    `${mean((round) => round.cpuMs.gateway).toFixed(0)} ms, classifier process ${mean((round) => round.cpuMs.classifier).toFixed(0)} ms, ` +
    `the emulated cameras (bench process) ${mean((round) => round.cpuMs.bench).toFixed(0)} ms, other processes ` +
    `${mean((round) => round.cpuMs.others).toFixed(0)} ms`;
  const counts = (each: VerdictPhase): string =>
    `${each.latencyMs.count} results, ${each.missing} missing, ${each.failedUploads} uploads failed; max ${each.latencyMs.max?.toFixed(0)} ms`;
  context.record({
    key: 'verdict-latency.burst-p50-ms',
    section: 'verdict-latency',
    label: `verdict latency p50, ${verdictDevices} cameras at once`,
    value: burst.latencyMs.p50,
    unit: 'ms',
    detail: `${counts(burst)}; ${cpu}`,
  });
  context.record({
    key: 'verdict-latency.burst-p99-ms',
    section: 'verdict-latency',
    label: `verdict latency p99, ${verdictDevices} cameras at once (${verdictBurstRounds} rounds pooled)`,
    value: burst.latencyMs.p99,
    unit: 'ms',
    detail: `p99 of each round: ${rounds}; ${describeStages(burst.stages)}`,
  });
  context.record({
    key: 'verdict-latency.steady-p50-ms',
    section: 'verdict-latency',
    label: `verdict latency p50, ${verdictDevices} cameras at an image a second each`,
    value: steady.latencyMs.p50,
    unit: 'ms',
    detail: counts(steady),
  });
  context.record({
    key: 'verdict-latency.steady-p99-ms',
    section: 'verdict-latency',
    label: `verdict latency p99, ${verdictDevices} cameras at an image a second each`,
    value: steady.latencyMs.p99,
    unit: 'ms',
    detail: describeStages(steady.stages),
  });
  context.note(
    `Verdict latency: a production gateway (spool on, analysis on, backend ${context.assets.bestBackend}); ` +
      `${verdictDevices} emulated cameras (A WiFi, A Ethernet and B in turn, real firmware timings, no loss) upload ` +
      'the fixture and its variants and wait for their op-4 result, which they confirm. The latency runs from the end ' +
      "of each camera's upload (its last ACK) to its result's arrival. Burst: every camera starts one upload at the " +
      `same moment, ${verdictBurstRounds} rounds, the classifier idle before each. Steady: the cameras' first images ` +
      `spread over a second, then each sends ${verdictSteadyImages} images with a second's pause between them. ` +
      "Stages come from each image's sidecar (stored and analysed times, decode and inference as the classifier " +
      'measured them, the file time of the sidecar), millisecond resolution; the cameras run in the bench process, on ' +
      'the same 2 cores.',
  );
}

import { FIRMWARE, symmetricLink } from '#camera-emulator';
import {
  bindAddressFor,
  FleetProgress,
  scaleFor,
  imagesFromFiles,
  ProgressDisplay,
  runFleet,
  summarizeFleet,
  type FleetDevice,
  type FleetRun,
  type FleetSummary,
  type TimeScale,
} from '../../apps/esp-sim/src/index.js';
import type { BenchContext } from './bench-context.js';
import { productionSettings, withGateway } from './gateway-runs.js';
import { childProcessIds, RssSampler, udpReceiveBufferErrors } from './process-stats.js';

/** The fleet section's results (the memory figures come from here too). */
export interface FleetBenchResult {
  readonly summary: FleetSummary;
  /** Images the gateway counted as completed (from /metrics). */
  readonly completedByGateway: number;
  /** Datagrams the kernel dropped for a full receive buffer during the run (machine-wide). */
  readonly kernelDrops: number | undefined;
  readonly rssIdleBytes: number;
  readonly rssPeakBytes: number;
  /** The gateway's classifier process (its child), when it has one. */
  readonly classifierRssIdleBytes: number | undefined;
  readonly classifierRssPeakBytes: number | undefined;
}

/** The builds of the fleet, given in turn: both generations, both generation-A builds. */
const BUILDS = [FIRMWARE.A_WIFI, FIRMWARE.A_ETHERNET, FIRMWARE.B];

/** An upload still unfinished after this long (wall time) counts as failed. */
const DEADLINE_MS = 120_000;

/** Memory is reported in MB of 10^6 bytes, like the 300 MB target. */
export const MB = 1_000_000;

/**
 * The fleet: `fleetDevices` emulated cameras (A WiFi, A Ethernet and B in turn, each on its own
 * 127.1.x.y address) upload the fixture and its variants through a lossy link, against a gateway
 * configured as in production (spool on, analysis on), while its resident memory is sampled.
 */
export async function runFleetBench(context: BenchContext): Promise<FleetBenchResult> {
  const { fleetDevices, fleetImagesPerDevice, fleetTimeScale, fleetLoss } = context.scale;
  context.progress(
    `fleet: ${fleetDevices} devices × ${fleetImagesPerDevice} image(s), ${fleetLoss * 100}% loss each way, ` +
      `firmware timeouts ${describeScale(fleetTimeScale)}`,
  );
  const images = context.assets.images.map((image) => ({ name: image.name, bytes: image.bytes }));
  return withGateway(context, 'fleet', productionSettings(context), async (gateway) => {
    const rssIdleBytes = gateway.process.rssBytes() ?? 0;
    const [classifierPid] = childProcessIds(gateway.process.pid);
    const classifierSampler = classifierPid === undefined ? undefined : new RssSampler(classifierPid);
    const server = gateway.process.udp;
    const devices: FleetDevice[] = Array.from({ length: fleetDevices }, (_, index) => ({
      firmware: BUILDS[index % BUILDS.length]!,
      deviceId: index % 256,
      bindAddress: bindAddressFor('auto', server.address, index),
      link: symmetricLink({ loss: fleetLoss }, 1000 + index),
    }));
    const sampler = new RssSampler(gateway.process.pid);
    const dropsBefore = udpReceiveBufferErrors();
    const progress = new FleetProgress();
    const display = new ProgressDisplay(process.stderr, progress, '  fleet');
    let run: FleetRun;
    try {
      run = await runFleet(
        {
          server,
          devices,
          imagesPerDevice: fleetImagesPerDevice,
          images: imagesFromFiles(images, fleetImagesPerDevice),
          timeScale: fleetTimeScale,
          deadlineMs: DEADLINE_MS,
        },
        progress,
      );
    } finally {
      display.stop();
    }
    const { peakBytes } = sampler.stop();
    const classifier = classifierSampler?.stop();
    const classifierIdle = classifier ? classifierSampler!.first : undefined;
    const dropsAfter = udpReceiveBufferErrors();
    const kernelDrops =
      dropsBefore === undefined || dropsAfter === undefined ? undefined : dropsAfter - dropsBefore;
    const summary = summarizeFleet(run, fleetDevices, fleetImagesPerDevice, false);
    const completedByGateway = await gateway.metric('cable_inspector_transfers_total', {
      outcome: 'completed',
    });
    const budgetDrops = await gateway.metric('cable_inspector_udp_datagrams_rejected_total', {
      reason: 'amplification-limit',
    });
    const writeSeconds = await gateway.metric('cable_inspector_storage_write_seconds_sum');
    const storeMs = completedByGateway > 0 ? (1000 * writeSeconds) / completedByGateway : null;
    record(context, summary, { completedByGateway, kernelDrops, budgetDrops, storeMs });
    context.record({
      key: 'memory.rss-idle-mb',
      section: 'memory',
      label: 'gateway idle, just started (analysis on, model loaded)',
      value: rssIdleBytes / MB,
      unit: 'MB',
    });
    context.record({
      key: 'memory.rss-fleet-peak-mb',
      section: 'memory',
      label: `gateway peak during the fleet run (${fleetDevices} devices)`,
      value: peakBytes / MB,
      unit: 'MB',
      detail: 'VmRSS of the gateway process sampled every 50 ms (its classifier process apart, below)',
    });
    if (classifier && classifierIdle !== undefined) {
      context.record({
        key: 'memory.classifier-rss-idle-mb',
        section: 'memory',
        label: "the gateway's classifier process, idle (model loaded)",
        value: classifierIdle / MB,
        unit: 'MB',
      });
      context.record({
        key: 'memory.classifier-rss-fleet-peak-mb',
        section: 'memory',
        label: `the classifier process's peak during the fleet run`,
        value: classifier.peakBytes / MB,
        unit: 'MB',
        detail: `gateway and classifier together at most ${Math.round((peakBytes + classifier.peakBytes) / MB)} MB (sum of the two peaks)`,
      });
    }
    return {
      summary,
      completedByGateway,
      kernelDrops,
      rssIdleBytes,
      rssPeakBytes: peakBytes,
      classifierRssIdleBytes: classifierIdle,
      classifierRssPeakBytes: classifier?.peakBytes,
    };
  });
}

/** `A × 0.2, B × 1` */
export function describeScale(scale: TimeScale): string {
  if (typeof scale === 'number') return String(scale);
  return Object.entries(scale)
    .map(([generation, factor]) => `${generation} × ${factor}`)
    .join(', ');
}

interface GatewaySide {
  readonly completedByGateway: number;
  readonly kernelDrops: number | undefined;
  readonly budgetDrops: number;
  /** Mean time to store an image durably (write, fsync, rename, directory fsync). */
  readonly storeMs: number | null;
}

function record(context: BenchContext, summary: FleetSummary, gateway: GatewaySide): void {
  const { fleetDevices, fleetImagesPerDevice, fleetTimeScale } = context.scale;
  const { completedByGateway, kernelDrops, budgetDrops, storeMs } = gateway;
  const scale = describeScale(fleetTimeScale);
  const waitA = 5000 * scaleFor(fleetTimeScale, 'A');
  const waitB = 1000 * scaleFor(fleetTimeScale, 'B');
  const resent = summary.retransmissions;
  const builds = Object.entries(summary.builds)
    .map(([name, build]) => `${name} ${build.ok} ok/${build.failed} failed`)
    .join(', ');
  context.record({
    key: 'fleet.images-per-second',
    section: 'fleet',
    label: `images stored per second, ${fleetDevices} devices`,
    value: summary.imagesPerSecond,
    unit: 'images/s',
    detail:
      `${summary.transfers.ok} images in ${summary.wallSeconds.toFixed(1)} s; the gateway counted ${completedByGateway} ` +
      `completed, storing each in ${storeMs === null ? 'n/a' : Math.round(storeMs)} ms on average`,
  });
  context.record({
    key: 'fleet.megabytes-per-second',
    section: 'fleet',
    label: 'acknowledged image bytes per second',
    value: summary.megabytesPerSecond,
    unit: 'MB/s',
    detail: `${(summary.bytesOk / 1e6).toFixed(1)} MB; MB = 10^6 bytes`,
  });
  context.record({
    key: 'fleet.transfer-p99-ms',
    section: 'fleet',
    label: `transfer time p99 (firmware timeouts ${scale})`,
    value: summary.transferMs.p99,
    unit: 'ms',
    detail: `p50 ${Math.round(summary.transferMs.p50 ?? 0)} ms, p95 ${Math.round(summary.transferMs.p95 ?? 0)} ms, max ${Math.round(summary.transferMs.max ?? 0)} ms`,
  });
  context.record({
    key: 'fleet.failures',
    section: 'fleet',
    label: `failed transfers of ${fleetDevices * fleetImagesPerDevice}`,
    value: summary.transfers.failed,
    unit: 'transfers',
    detail:
      `${builds}; ${resent.packets} packets resent, ${resent.requests} requests resent, ${resent.timeouts} timeouts, ` +
      `${summary.violations.count} protocol violations; gateway: ${budgetDrops} replies dropped by the amplification budget` +
      (kernelDrops === undefined ? '' : `, kernel UDP receive-buffer drops (machine-wide) ${kernelDrops}`) +
      (summary.transfers.failed > 0 ? `; failures: ${JSON.stringify(summary.transfers.failures)}` : ''),
  });
  context.note(
    `Fleet: ${fleetDevices} emulated cameras (byte-exact firmware: A WiFi P = 1024, A Ethernet P = 1460 and B, in ` +
      `turn), ${fleetImagesPerDevice} image(s) each from the fixture and ${context.assets.images.length - 1} variants ` +
      `(${Math.min(...context.assets.images.map((image) => image.bytes.length))}-${Math.max(...context.assets.images.map((image) => image.bytes.length))} bytes), ` +
      `${context.scale.fleetLoss * 100}% loss each way. Firmware timeouts and pauses are time-scaled (${scale}) so the run ` +
      `finishes in reasonable time: generation A waits ${waitA} ms for an ACK instead of 5 s, B ${waitB} ms for a reply ` +
      "instead of 1 s; with the real timeouts generation A's transfer times stretch accordingly. " +
      'Gateway as in production: spool on, analysis on.',
  );
}

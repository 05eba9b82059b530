import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CameraDevice,
  type DeviceEvent,
  type Endpoint,
  type FirmwareProfile,
  type Generation,
  type LinkCounters,
  type LinkDirection,
  type LinkOptions,
  type UploadResult,
} from '#camera-emulator';
import type { GenerationCBuild, GenerationCResult } from './generation-c.js';
import { UplinkDevice } from './uplink-device.js';
import type { ImageSource } from './image-source.js';

/** The deployed generations the emulator knows, and C, this project's library, which is run. */
export type SimGeneration = Generation | 'C';

/** What a simulated camera runs: an emulated deployed build, or the generation-C library. */
export type SimBuild = FirmwareProfile | GenerationCBuild;

/**
 * How much faster than the deployed firmware the devices wait: one factor for every build, or one
 * per generation (1 for a generation not named). 0.1: every timeout and pause ten times shorter.
 */
export type TimeScale = number | Readonly<Partial<Record<SimGeneration, number>>>;

/** The factor of `generation` under `scale`. */
export function scaleFor(scale: TimeScale, generation: SimGeneration): number {
  return typeof scale === 'number' ? scale : (scale[generation] ?? 1);
}

/** How one upload went: the emulator's result, or generation C's in the same terms. */
export type DeviceUploadResult = UploadResult | GenerationCResult;

/** What the fleet needs of a camera, emulated (`CameraDevice`) or run (`UplinkDevice`). */
interface SimDevice {
  readonly firmware: SimBuild;
  readonly local: Endpoint;
  readonly linkCounters: Readonly<Record<LinkDirection, Readonly<LinkCounters>>>;
  readonly strayViolations: readonly string[];
  upload(
    image: Buffer,
    options: { deadlineMs?: number; awaitAnalysisMs?: number; signal?: AbortSignal },
  ): Promise<DeviceUploadResult>;
  close(): Promise<void>;
}

/** One camera of the fleet. */
export interface FleetDevice {
  readonly firmware: SimBuild;
  readonly deviceId: number;
  /** Local address of its socket (any free port). */
  readonly bindAddress: string;
  readonly link?: LinkOptions;
}

/** A fleet and what it uploads. */
export interface FleetPlan {
  /** The gateway: an IP address (replies are checked against it) and a port. */
  readonly server: Endpoint;
  readonly devices: readonly FleetDevice[];
  readonly imagesPerDevice: number;
  readonly images: ImageSource;
  /** Multiplies every firmware timeout and pause. */
  readonly timeScale: TimeScale;
  /** An upload still unfinished after this many milliseconds ends as failed (`deadline`). */
  readonly deadlineMs: number;
  /** After each completed upload, waits this long for the op-4 result and confirms it. */
  readonly awaitResultMs?: number;
  /** Devices start spread evenly over this many milliseconds. */
  readonly rampMs?: number;
  /** Pause of a device between two of its images. */
  readonly intervalMs?: number;
  /** Aborting ends every upload in progress (`aborted`) and starts no new one. */
  readonly signal?: AbortSignal;
}

/** One upload of the run. */
export interface UploadRecord {
  /** Index of the device in the plan. */
  readonly device: number;
  /** Index of the image among the device's. */
  readonly image: number;
  /** Firmware build name (`A-wifi`, `B`, …). */
  readonly build: string;
  /** Address and port the device sent from (how the gateway files the image). */
  readonly source: Endpoint;
  readonly result: DeviceUploadResult;
  /** From the first upload request to the server's final word (the op-4 wait excluded). */
  readonly transferMs: number;
  /** When the upload started, in milliseconds from the start of the run. */
  readonly startedAtMs: number;
}

/** What a fleet run did. */
export interface FleetRun {
  readonly uploads: readonly UploadRecord[];
  /** From the first upload's start to the last upload's end. */
  readonly wallMs: number;
  /** What the links of all devices did, summed. */
  readonly link: Readonly<Record<LinkDirection, LinkCounters>>;
  /** Protocol violations devices received while not uploading. */
  readonly strayViolations: readonly string[];
}

/**
 * Counters of a run in progress, updated as devices go (for a live display); read them, never
 * write them.
 */
export class FleetProgress {
  readonly startedAt = performance.now();
  expected = 0;
  devices = 0;
  ok = 0;
  failed = 0;
  uploading = 0;
  okBytes = 0;
  /** Data packets sent again so far. */
  resent = 0;
  timeouts = 0;

  get finished(): number {
    return this.ok + this.failed;
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}

/**
 * Runs a fleet: opens every device, has each upload its images one after the other (all devices
 * at once), and returns every upload's result. Never rejects for anything the network or the
 * gateway does; devices are closed at the end, whatever happened.
 */
export async function runFleet(plan: FleetPlan, progress = new FleetProgress()): Promise<FleetRun> {
  progress.expected = plan.devices.length * plan.imagesPerDevice;
  // Every upload in progress listens to the caller's signal.
  if (plan.signal) setMaxListeners(plan.devices.length + 10, plan.signal);
  const observe = (event: DeviceEvent): void => {
    if (event.type === 'packet-sent' && event.resend) progress.resent++;
    else if (event.type === 'timeout') progress.timeouts++;
  };
  const devices = await openAll(plan, observe);
  progress.devices = devices.length;
  const uploads: UploadRecord[] = [];
  const startedAt = performance.now();
  try {
    const ramp = plan.rampMs ?? 0;
    await Promise.all(
      devices.map(async (device, index) => {
        if (ramp > 0) await pause((ramp * index) / devices.length, plan.signal);
        for (let image = 0; image < plan.imagesPerDevice && !plan.signal?.aborted; image++) {
          if (image > 0 && plan.intervalMs) await pause(plan.intervalMs, plan.signal);
          uploads.push(await uploadOne(plan, device, index, image, startedAt, progress));
        }
      }),
    );
  } finally {
    await Promise.all(devices.map((device) => device.close()));
  }
  return {
    uploads,
    wallMs: performance.now() - startedAt,
    link: sumLinks(devices),
    strayViolations: devices.flatMap((device) => device.strayViolations),
  };
}

async function openAll(plan: FleetPlan, observer: (event: DeviceEvent) => void): Promise<SimDevice[]> {
  const opened = await Promise.allSettled(
    plan.devices.map((device): Promise<SimDevice> => {
      const { firmware } = device;
      const timeScale = scaleFor(plan.timeScale, firmware.generation);
      if (firmware.generation === 'C') {
        return UplinkDevice.open({ ...device, build: firmware, server: plan.server, timeScale });
      }
      return CameraDevice.open({ ...device, firmware, server: plan.server, timeScale, observer });
    }),
  );
  const failure = opened.find((each) => each.status === 'rejected');
  if (failure) {
    const devices = opened.flatMap((each) => (each.status === 'fulfilled' ? [each.value] : []));
    await Promise.all(devices.map((device) => device.close()));
    const reason = failure.reason instanceof Error ? failure.reason.message : String(failure.reason);
    throw new Error(`could not open the device sockets: ${reason}`);
  }
  return opened.map((each) => (each as PromiseFulfilledResult<SimDevice>).value);
}

async function uploadOne(
  plan: FleetPlan,
  device: SimDevice,
  index: number,
  image: number,
  runStartedAt: number,
  progress: FleetProgress,
): Promise<UploadRecord> {
  const bytes = plan.images(index, image);
  const startedAtMs = performance.now() - runStartedAt;
  progress.uploading++;
  const result = await device.upload(bytes, {
    deadlineMs: plan.deadlineMs,
    awaitAnalysisMs: plan.awaitResultMs,
    signal: plan.signal,
  });
  progress.uploading--;
  if (result.ok) {
    progress.ok++;
    progress.okBytes += result.bytes;
  } else {
    progress.failed++;
  }
  const analysis = result.analysis;
  const waited = analysis === undefined ? 0 : analysis.received ? analysis.afterMs : analysis.waitedMs;
  return {
    device: index,
    image,
    build: device.firmware.name,
    source: device.local,
    result,
    transferMs: result.durationMs - waited,
    startedAtMs,
  };
}

function sumLinks(devices: readonly SimDevice[]): Record<LinkDirection, LinkCounters> {
  const zero = (): LinkCounters => ({ offered: 0, lost: 0, duplicated: 0, delivered: 0 });
  const total = { outgoing: zero(), incoming: zero() };
  for (const device of devices) {
    for (const direction of ['outgoing', 'incoming'] as const) {
      const counters = device.linkCounters[direction];
      const sum = total[direction];
      sum.offered += counters.offered;
      sum.lost += counters.lost;
      sum.duplicated += counters.duplicated;
      sum.delivered += counters.delivered;
    }
  }
  return total;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => undefined);
}
